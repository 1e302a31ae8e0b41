"""Counts: the sample drawn only when the count opens, blind scanning, the results, and
the counter who is never the store's custodian."""

from __future__ import annotations

import pytest

from sulh.core.errors import PermissionDenied, SulhError
from sulh.custody import counts
from sulh.custody.models import Count, CountScan, CountSettings, Incident, ItemState
from sulh.custody.selectors import count_for_counter
from sulh.custody.services import item_store


@pytest.fixture
def armoury(rifle):
    """Twenty tagged rifles in the main store, two to a rack."""
    return [rifle(location=f"rack-{n // 2}") for n in range(20)]


def test_a_count_opened_by_the_store_custodian_is_refused(armoury, officers, stores, head):
    head()
    with pytest.raises(PermissionDenied) as caught:
        counts.count_open(store=stores["main"], user=officers["custodian"], kind="sample")
    assert caught.value.field == "user"
    assert Count.objects.count() == 0


def test_the_sample_is_at_least_the_program_share(armoury, officers, stores, head):
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    assert len(count.sample) == 2  # 10 % of 20
    counts.count_close(count=count, user=officers["officer"])
    CountSettings.objects.create(program=stores["main"].program, sample_percent=25)
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    assert len(count.sample) == 5
    full = armoury  # a full count takes every item
    counts.count_close(count=count, user=officers["officer"])
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="full")
    assert sorted(count.sample) == sorted(item.pk for item in full)


def test_the_sample_cannot_be_known_before_the_count_opens(
    armoury, officers, stores, head, monkeypatch
):
    """The seed takes the head signed before opening (its signature is randomised) and a
    nonce drawn at opening: a custodian who knows every head published so far, and even
    the nonce, still does not hold the seed before the day's head is signed."""
    known = head()
    nonce = "ab" * 16
    monkeypatch.setattr(counts.secrets, "token_hex", lambda n: nonce)
    later = head()  # the day's head, signed after the custodian's guess
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    guess = counts.count_seed(head=known, nonce=nonce, store=stores["main"], count_id=count.pk)
    assert count.head_id == later.pk and count.seed != guess
    # fixed at opening, and redrawn by anyone from what was recorded then
    ids = [item.pk for item in armoury]
    assert count.seed == counts.count_seed(
        head=later, nonce=nonce, store=stores["main"], count_id=count.pk
    )
    assert count.sample == counts.sample_draw(seed=count.seed, item_ids=ids, percent=10, full=False)
    head()  # a head published after opening changes nothing
    count.refresh_from_db()
    assert count.sample == counts.sample_draw(seed=count.seed, item_ids=ids, percent=10, full=False)
    # with the nonce drawn for real, one head gives a new draw at each opening
    monkeypatch.undo()
    draws = set()
    for _ in range(8):
        counts.count_close(count=count, user=officers["officer"])
        count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
        draws.add(tuple(count.sample))
    assert len(draws) > 1


def test_the_counter_sees_locations_never_the_expected_items(armoury, officers, stores, head):
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    shown = count_for_counter(user=officers["officer"], count_id=count.pk)
    assert shown["locations"] and "sample" not in shown and "results" not in shown
    numbers = {item.tag.number for item in armoury}
    assert not numbers & set(str(shown).split("'"))
    taken = counts.count_scan(
        count=count, user=officers["officer"], tag=armoury[0].tag.number, location="rack-0"
    )
    assert vars(taken) == {"tag": armoury[0].tag.number, "location": "rack-0"}


def test_a_tag_scanned_twice_into_one_count_is_refused(armoury, officers, stores, head):
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="full")
    counts.count_scan(
        count=count, user=officers["officer"], tag=armoury[0].tag.text, location="rack-0"
    )
    with pytest.raises(SulhError) as caught:
        counts.count_scan(
            count=count, user=officers["officer"], tag=armoury[0].tag.number, location="rack-7"
        )
    assert (caught.value.field, caught.value.code) == ("tag", "duplicate_scan")
    first = CountScan.objects.get(count=count, refused_as_duplicate=False)
    assert first.location == "rack-0"  # the first scan stands as it was
    results = counts.count_close(count=count, user=officers["officer"])
    assert results.duplicate_scan == [armoury[0].tag.number]


def test_the_results_of_a_full_count(armoury, officers, stores, rifle, head):
    elsewhere = rifle("north")
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="full")
    scan = {item.tag.number: item.location for item in armoury[2:]}
    scan[armoury[2].tag.number] = "rack-9"  # found on another rack than recorded
    scan[elsewhere.tag.number] = "rack-1"  # the ledger has it in another store
    scan["1-2024-999999"] = "rack-1"  # no such tag
    for number, location in scan.items():
        counts.count_scan(count=count, user=officers["officer"], tag=number, location=location)
    results = counts.count_close(count=count, user=officers["officer"])
    assert sorted(results.missing) == sorted(i.tag.number for i in armoury[:2])
    assert results.wrong_location == [armoury[2].tag.number]
    assert sorted(results.unexpected) == sorted([elsewhere.tag.number, "1-2024-999999"])
    assert len(results.found) == 17
    incident = Incident.objects.get(count=count)
    assert incident.kind == "count_missing"
    assert sorted(incident.items.values_list("pk", flat=True)) == sorted(i.pk for i in armoury[:2])
    assert [e.kind for e in armoury[3].events.all()][-1] == "counted"
    assert [e.kind for e in armoury[0].events.all()][-1] == "discrepancy"
    armoury[0].refresh_from_db()
    assert armoury[0].state == ItemState.IN_STORE  # missing is investigated, not yet lost


def test_nothing_moves_in_or_out_of_a_store_being_counted(armoury, officers, stores, head):
    head()
    counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    with pytest.raises(SulhError) as caught:
        item_store(item=armoury[0], user=officers["officer2"], location="rack-8")
    assert caught.value.field == "store"


def test_counts_due_and_overdue(armoury, officers, stores, head):
    import datetime as dt

    later = stores["main"].created_at + dt.timedelta(days=8)
    due = {d.kind: d for d in counts.counts_due(store=stores["main"], now=later)}
    assert due["sample"].overdue and not due["full"].overdue
    head()
    count = counts.count_open(store=stores["main"], user=officers["officer"], kind="sample")
    counts.count_close(count=count, user=officers["officer"])
    due = {d.kind: d for d in counts.counts_due(store=stores["main"])}
    assert not due["sample"].overdue
