"""Reads on custody: a store or an item for a user, what a counter may see of a count,
and the figures per program and per store with their conservation check."""

from __future__ import annotations

from typing import Any

from sulh.accounts.models import Service, User
from sulh.accounts.policy import Action, program_bound, require
from sulh.cases.selectors import program_served_check
from sulh.core.errors import NotFound, ValidationFailed
from sulh.custody.figures import CustodyFigures, Entry, Holding, conservation_check, custody_figures
from sulh.custody.models import (
    Count,
    CountState,
    CustodyEvent,
    Dispatch,
    DispatchState,
    Incident,
    Item,
    Store,
    Tag,
)
from sulh.custody.services import tag_number_of


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


def stores_for_user(*, user: User, action: Action) -> list[Store]:
    """The stores of the programs ``user`` serves (every store for a role not bound to
    programs), by code."""
    require(user, action)
    found = Store.objects.select_related("program", "station", "custodian").order_by("code")
    if program_bound(user):
        found = found.filter(program__in=Service.objects.filter(user=user).values("program"))
    return list(found)


def item_by_tag(*, scanned: str, field: str = "tag") -> Item:
    """The item whose tag was scanned (its signed code) or typed (its registry number)."""
    number = tag_number_of(scanned)
    if not number:
        raise ValidationFailed("scan or type a tag", field=field)
    tag = Tag.objects.select_related("item__store").filter(number=number).first()
    if tag is None:
        raise NotFound(f"no tag {number[:40]} was issued here", field=field)
    return tag.item


def incidents_for_user(*, user: User) -> list[Incident]:
    """The incidents of the stores of the programs ``user`` serves, the newest first."""
    require(user, Action.SEE_CUSTODY)
    stores = [store.pk for store in stores_for_user(user=user, action=Action.SEE_CUSTODY)]
    return list(
        Incident.objects.filter(store_id__in=stores)
        .select_related("store", "dispatch", "count")
        .prefetch_related("items__tag")
        .order_by("-opened_at", "-pk")
    )


def dispatches_to(*, store: Store) -> list[Dispatch]:
    """The shipments on their way to ``store``."""
    return list(
        Dispatch.objects.filter(to_store=store, state=DispatchState.IN_TRANSIT)
        .select_related("from_store", "dispatched_by")
        .order_by("dispatched_at", "pk")
    )


def dispatch_get_for_user(*, user: User, dispatch_id: int, action: Action) -> Dispatch:
    """A shipment, for a user whose role may take ``action`` and who serves the program of
    its destination; else 404."""
    require(user, action)
    dispatch = (
        Dispatch.objects.select_related("from_store", "to_store", "dispatched_by")
        .filter(pk=dispatch_id)
        .first()
    )
    if dispatch is None:
        raise NotFound("no such shipment", field="dispatch")
    program_served_check(user=user, program_id=dispatch.to_store.program_id, field="dispatch")
    return dispatch


def count_get_for_user(*, user: User, count_id: int) -> Count:
    """A count opened by ``user`` (the counter works only their own); else 404."""
    require(user, Action.COUNT_STORE)
    count = Count.objects.select_related("store").filter(pk=count_id, opened_by=user).first()
    if count is None:
        raise NotFound("no such count among yours", field="count")
    return count
