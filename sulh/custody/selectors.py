"""Reads on custody: a store or an item for a user, what a counter may see of a count,
and the figures per program and per store with their conservation check."""

from __future__ import annotations

from typing import Any

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.cases.selectors import program_served_check
from sulh.core.errors import NotFound
from sulh.custody.figures import CustodyFigures, Entry, Holding, conservation_check, custody_figures
from sulh.custody.models import Count, CountState, CustodyEvent, Item, Store


def store_get_for_user(*, user: User, store_id: int, action: Action) -> Store:
    """The store, when ``user`` may take ``action`` and serves its program; else 404."""
    require(user, action)
    store = Store.objects.select_related("program", "station").filter(pk=store_id).first()
    if store is None:
        raise NotFound("no such store", field="store")
    program_served_check(user=user, program_id=store.program_id, field="store")
    return store


def item_get_for_user(*, user: User, item_id: int, action: Action) -> Item:
    require(user, action)
    item = Item.objects.select_related("store").filter(pk=item_id).first()
    if item is None:
        raise NotFound("no such item", field="item")
    program_served_check(user=user, program_id=item.program_id, field="item")
    return item


def count_for_counter(*, user: User, count_id: int) -> dict[str, Any]:
    """What the counter sees of an open count: the store and the locations to count, and
    the tags they scanned; never the items expected. Results once it is closed."""
    require(user, Action.COUNT_STORE)
    count = Count.objects.select_related("store").filter(pk=count_id, opened_by=user).first()
    if count is None:
        raise NotFound("no such count among yours", field="count")
    shown: dict[str, Any] = {
        "store": count.store.code,
        "kind": count.kind,
        "state": count.state,
        "locations": count.locations,
        "scanned": list(
            count.scans.filter(refused_as_duplicate=False).values_list("tag", flat=True)
        ),
    }
    if count.state == CountState.CLOSED:
        shown["results"] = count.results
    return shown


def ledger_entries(**filters: Any) -> list[Entry]:
    """The ledger as the figures read it: no person, no serial."""
    rows = CustodyEvent.objects.filter(**filters).values_list(
        "pk", "item_id", "kind", "item__program_id", "store_id", "reverses_id"
    )
    return [Entry(*row) for row in rows.order_by("pk")]


def holdings(**filters: Any) -> list[Holding]:
    rows = Item.objects.filter(**filters).values_list("pk", "program_id", "state", "store_id")
    return [Holding(*row) for row in rows]


def figures_now(*, program_id: int | None = None) -> tuple[CustodyFigures, list[str]]:
    """The figures per program and per store from the ledger, the holdings from the items'
    current states, and every breach of the conservation identity between them."""
    entry_filter = {"item__program_id": program_id} if program_id else {}
    item_filter = {"program_id": program_id} if program_id else {}
    figures = custody_figures(ledger_entries(**entry_filter), holdings=holdings(**item_filter))
    return figures, conservation_check(figures)
