"""The custody ledger: append-only, corrected by reversal, and the moves between stores
signed by two officers with the seals checked."""

from __future__ import annotations

import pytest

from sulh.core.errors import Conflict, PermissionDenied, SulhError
from sulh.custody import services
from sulh.custody.models import CustodyEvent, Dispatch, Incident, ItemState


def kinds(item):
    return [e.kind for e in item.events.all()]


def snapshot(item):
    item.refresh_from_db()
    counted = (CustodyEvent, Dispatch, Incident)
    return (item.state, item.store_id, item.location, *(m.objects.count() for m in counted))


def unchanged(subject, field, call, /, **kwargs):
    """``call`` refused naming ``field``; the item and its ledger as they were."""
    before = snapshot(subject)
    with pytest.raises(SulhError) as caught:
        call(**kwargs)
    assert caught.value.field == field, caught.value
    assert snapshot(subject) == before
    return caught.value


def test_an_entry_is_never_edited_or_deleted(rifle):
    item = rifle()
    entry = item.events.first()
    entry.location = "elsewhere"
    with pytest.raises(Conflict):
        entry.save()
    with pytest.raises(Conflict):
        entry.delete()
    with pytest.raises(Conflict):
        CustodyEvent.objects.filter(pk=entry.pk).update(location="elsewhere")
    with pytest.raises(Conflict):
        CustodyEvent.objects.filter(item=item).delete()
    assert CustodyEvent.objects.get(pk=entry.pk).location == "rack-1"


def test_a_wrong_entry_is_corrected_by_a_reversal(rifle, officers):
    item = rifle()
    stored = services.item_store(item=item, user=officers["officer"], location="rack-9")
    reversal = services.entry_reverse(event=stored, user=officers["officer"], reason="wrong rack")
    item.refresh_from_db()
    assert item.location == "rack-1"
    assert kinds(item) == ["received", "tagged", "stored", "reversal"]
    assert reversal.reverses_id == stored.pk


def test_a_reversal_of_a_reversal_is_refused(rifle, officers):
    item = rifle()
    stored = services.item_store(item=item, user=officers["officer"], location="rack-9")
    reversal = services.entry_reverse(event=stored, user=officers["officer"], reason="wrong rack")
    unchanged(
        item,
        "reverses",
        services.entry_reverse,
        event=reversal,
        user=officers["officer"],
        reason="undo",
    )
    unchanged(
        item,
        "reverses",
        services.entry_reverse,
        event=stored,
        user=officers["officer"],
        reason="again",
    )


def test_only_the_latest_entry_is_reversed(rifle, officers):
    item = rifle()
    first = services.item_store(item=item, user=officers["officer"], location="rack-2")
    services.item_store(item=item, user=officers["officer"], location="rack-3")
    unchanged(
        item, "reverses", services.entry_reverse, event=first, user=officers["officer"], reason="x"
    )


def test_a_shipment_is_received_by_another_officer_with_the_seals_checked(rifle, officers, stores):
    items = [rifle(), rifle()]
    dispatch = services.dispatch_create(
        from_store=stores["main"],
        to_store_id=stores["north"].pk,
        items=items,
        seals=["S-1", "S-2"],
        user=officers["officer"],
    )
    items[0].refresh_from_db()
    assert items[0].state == ItemState.IN_TRANSIT
    unchanged(
        items[0],
        "user",
        services.dispatch_receive,
        dispatch=dispatch,
        user=officers["officer"],
        tags_received=[i.tag.number for i in items],
        seals_seen=["S-1", "S-2"],
    )
    done = services.dispatch_receive(
        dispatch=dispatch,
        user=officers["officer2"],
        tags_received=[i.tag.number for i in items],
        seals_seen=["S-2", "S-1"],
    )
    assert done.missing == [] and done.incidents == []
    for item in items:
        item.refresh_from_db()
        assert (item.state, item.store_id) == (ItemState.IN_STORE, stores["north"].pk)
        assert kinds(item)[-2:] == ["dispatched", "received_at"]


def test_a_shortfall_at_receipt_opens_a_loss_incident(rifle, officers, stores):
    items = [rifle(), rifle(), rifle()]
    dispatch = services.dispatch_create(
        from_store=stores["main"],
        to_store_id=stores["north"].pk,
        items=items,
        seals=["S-1"],
        user=officers["officer"],
    )
    done = services.dispatch_receive(
        dispatch=dispatch,
        user=officers["officer2"],
        tags_received=[items[0].tag.text, items[1].tag.number],
        seals_seen=["S-9"],
    )
    assert done.missing == [items[2]]
    assert {i.kind for i in done.incidents} == {"shortfall", "seals"}
    shortfall = next(i for i in done.incidents if i.kind == "shortfall")
    assert list(shortfall.items.all()) == [items[2]]
    items[2].refresh_from_db()
    assert items[2].state == ItemState.LOST


def test_a_dispatch_to_a_store_that_does_not_exist_is_refused(rifle, officers, stores):
    item = rifle()
    unchanged(
        item,
        "to_store",
        services.dispatch_create,
        from_store=stores["main"],
        to_store_id=99999,
        items=[item],
        seals=["S-1"],
        user=officers["officer"],
    )


def test_issue_and_return_name_the_purpose_and_authoriser(rifle, officers, personas):
    item = rifle()
    unchanged(
        item,
        "purpose",
        services.item_issue,
        item=item,
        user=officers["officer"],
        purpose="",
        authoriser=personas["manager"],
    )
    issued = services.item_issue(
        item=item, user=officers["officer"], purpose="court exhibit", authoriser=personas["manager"]
    )
    assert issued.purpose == "court exhibit" and issued.authoriser == personas["manager"]
    services.item_return(item=item, user=officers["officer"])
    item.refresh_from_db()
    assert item.state == ItemState.IN_STORE


def test_lost_then_recovered(rifle, officers, stores):
    item = rifle()
    lost = services.item_lose(item=item, user=officers["officer"], stolen=True, reason="break-in")
    assert lost.incident.kind == "theft"
    services.item_recover(item=item, user=officers["officer"], store=stores["north"])
    item.refresh_from_db()
    assert (item.state, item.store_id) == (ItemState.IN_STORE, stores["north"].pk)


def test_a_destroyed_item_is_never_issued_or_destroyed_again(rifle, officers, stores, personas):
    item = rifle()
    services.item_deactivate(item=item, user=officers["officer"], reason="peace art")
    services.item_destroy(item=item, store=stores["main"], user=officers["officer"], reason="cut")
    unchanged(
        item,
        "item",
        services.item_issue,
        item=item,
        user=officers["officer"],
        purpose="x",
        authoriser=personas["manager"],
    )
    unchanged(
        item,
        "item",
        services.item_destroy,
        item=item,
        store=stores["main"],
        user=officers["officer"],
        reason="cut",
    )


def test_destruction_of_an_item_not_in_the_store_is_refused(rifle, officers, stores):
    item = rifle("north")
    destroy = {"store": stores["main"], "user": officers["officer"], "reason": "cut"}
    unchanged(item, "item", services.item_destroy, item=item, **destroy)


def test_an_entry_dated_in_the_future_is_refused(rifle, officers):
    import datetime as dt

    from django.utils import timezone

    item = rifle()
    unchanged(
        item,
        "at",
        services.item_store,
        item=item,
        user=officers["officer"],
        location="rack-4",
        at=timezone.now() + dt.timedelta(days=1),
    )


def test_transfer_to_a_national_authority(rifle, officers):
    item = rifle()
    with pytest.raises(PermissionDenied):
        services.item_transfer(item=item, user=officers["officer"].__class__(), reason="x")
    services.item_transfer(item=item, user=officers["officer"], reason="Ministry of Defence")
    item.refresh_from_db()
    assert item.state == ItemState.TRANSFERRED


def test_a_tag_entry_is_not_reversed(rifle, officers):
    item = rifle()
    tagged = item.events.get(kind="tagged")
    unchanged(
        item, "reverses", services.entry_reverse, event=tagged, user=officers["officer"], reason="x"
    )
