"""The figures per program and per store, and the conservation identity they must hold."""

from __future__ import annotations

from sulh.custody import services
from sulh.custody.figures import (
    Entry,
    Figures,
    conservation_check,
    conservation_mismatch,
    custody_figures,
)
from sulh.custody.models import Item
from sulh.custody.selectors import figures_now, ledger_entries


def test_it_counts_each_figure_from_a_history(rifle, officers, stores, personas):
    _kept, lost, issued, gone, moved, short = (rifle() for _ in range(6))
    services.item_lose(item=lost, user=officers["officer"], stolen=False, reason="missing")
    services.item_issue(
        item=issued, user=officers["officer"], purpose="court", authoriser=personas["manager"]
    )
    services.item_destroy(item=gone, store=stores["main"], user=officers["officer"], reason="cut")
    dispatch = services.dispatch_create(
        from_store=stores["main"],
        to_store_id=stores["north"].pk,
        items=[moved, short],
        seals=["S"],
        user=officers["officer"],
    )
    services.dispatch_receive(
        dispatch=dispatch,
        user=officers["officer2"],
        tags_received=[moved.tag.number],
        seals_seen=["S"],
    )
    recovered = Item.objects.get(pk=lost.pk)
    services.item_recover(item=recovered, user=officers["officer"], store=stores["main"])
    figures, problems = figures_now()
    assert problems == []
    program = figures.programs[stores["main"].program_id].as_dict()
    assert program == {
        "received": 6,
        "recovered": 1,
        "in_store": 3,
        "in_transit": 0,
        "issued": 1,
        "destroyed": 1,
        "transferred": 0,
        "lost": 2,
    }
    main = figures.stores[stores["main"].pk].as_dict(moves=True)
    assert (main["moved_out"], main["in_store"]) == (1, 2)
    north = figures.stores[stores["north"].pk].as_dict(moves=True)
    assert (north["moved_in"], north["in_store"], north["received"]) == (1, 1, 0)


def test_an_item_in_transit_is_its_sending_store_s(rifle, officers, stores):
    item = rifle()
    services.dispatch_create(
        from_store=stores["main"],
        to_store_id=stores["north"].pk,
        items=[item],
        seals=["S"],
        user=officers["officer"],
    )
    figures, problems = figures_now()
    assert problems == []
    assert figures.stores[stores["main"].pk].in_transit == 1


def test_a_reversed_entry_counts_for_nothing(rifle, officers):
    item = rifle()
    lost = services.item_lose(item=item, user=officers["officer"], stolen=False, reason="typo")
    services.entry_reverse(event=lost, user=officers["officer"], reason="it was on rack 2")
    figures, problems = figures_now()
    assert problems == []
    assert (figures.programs[item.program_id].lost, figures.programs[item.program_id].in_store) == (
        0,
        1,
    )


def test_the_check_fails_when_a_state_changes_without_an_entry(rifle):
    item = rifle()
    Item.objects.filter(pk=item.pk).update(state="destroyed")  # behind the ledger's back
    _figures, problems = figures_now()
    assert problems and "received + recovered = 1" in problems[0]


def test_the_check_fails_when_an_entry_is_removed(rifle, officers):
    item = rifle()
    services.item_lose(item=item, user=officers["officer"], stolen=False, reason="missing")
    entries = [e for e in ledger_entries() if e.kind != "lost"]
    from sulh.custody.selectors import holdings

    assert conservation_check(custody_figures(entries, holdings=holdings()))


def test_the_identity_as_a_pure_function():
    entries = [
        Entry(1, 10, "received", 1, 5),
        Entry(2, 10, "dispatched", 1, 5),
        Entry(3, 10, "received_at", 1, 6),
        Entry(4, 10, "destroyed", 1, 6),
    ]
    result = custody_figures(entries)
    assert conservation_check(result) == []
    assert result.stores[5].as_dict(moves=True)["moved_out"] == 1
    assert result.stores[6].destroyed == 1
    assert conservation_mismatch(Figures(received=2, in_store=1)) != ""
    assert conservation_mismatch({"received": 1, "lost": 1}) == ""
