"""Custody in the transparency log: each entry that moves an item or counts in a flow, as
a record with no person in it (``sulh.ledger.weapons``), in the entry's own transaction;
and once a day the weapons figures per program, store, kind and calibre class, as the
database gives them then, for the monitor to recount (``sulh monitor check``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Count as Counted
from django.utils import timezone

from sulh.custody.models import CustodyEvent, EventKind, FiguresLogged, Item
from sulh.custody.vocabulary import calibre_class
from sulh.keys.sealing import derived_key
from sulh.ledger.services import ledger_append_record
from sulh.ledger.weapons import (
    FIGURES,
    HELD,
    LOGGED_ENTRIES,
    Key,
    Replay,
    entry_record,
    figures_record,
)


def _link(kind: str, pk: int) -> str:
    """A keyed pseudonym (80 bits): links an item's entries, or names an entry, and
    nothing else; the key never leaves the site."""
    key = derived_key(purpose="custody-ledger-link")
    return hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:20]


def _record(
    *, pk: int, kind: str, item: int, program: str, store: str, item_kind: str, calibre: str,
    reverses: int | None,
) -> dict[str, object]:  # fmt: skip
    return entry_record(
        entry=kind,
        program=program,
        store=store,
        item_kind=item_kind,
        calibre_class=calibre_class(calibre),
        item=_link("item", item),
        ref=_link("entry", pk),
        reverses=_link("entry", reverses) if reverses else "",
    )


def entry_log(event: CustodyEvent, item: Item) -> None:
    """Log ``event`` when it moves the item or counts in a flow (a reversal of one too)."""
    if event.kind == EventKind.REVERSAL and event.reverses_id is not None:
        reversed_kind = (
            CustodyEvent.objects.filter(pk=event.reverses_id).values_list("kind", flat=True).get()
        )
        if reversed_kind not in LOGGED_ENTRIES:
            return
    elif event.kind not in LOGGED_ENTRIES:
        return
    store = event.store.code if event.store else item.store.code
    ledger_append_record(
        _record(
            pk=event.pk,
            kind=event.kind,
            item=item.pk,
            program=item.program.code,
            store=store,
            item_kind=item.kind,
            calibre=item.calibre,
            reverses=event.reverses_id,
        )
    )


def weapons_rows(*, program_code: str | None = None) -> dict[Key, dict[str, int]]:
    """The figures per (program, store, kind, calibre class) now: the flows and moves
    replayed from the ledger, the holdings from the items' current states."""
    entries = CustodyEvent.objects.order_by("pk").values_list(
        "pk", "kind", "item_id", "item__program__code", "store__code", "item__kind",
        "item__calibre", "reverses_id",
    )  # fmt: skip
    items = Item.objects.all()
    if program_code:
        entries = entries.filter(item__program__code=program_code)
        items = items.filter(program__code=program_code)
    replay, kinds = Replay(), {}
    for pk, kind, item, program, store, item_kind, calibre, reverses in entries.iterator():
        kinds[pk] = kind
        if kind not in LOGGED_ENTRIES and not (
            kind == EventKind.REVERSAL and kinds.get(reverses) in LOGGED_ENTRIES
        ):
            continue
        record = _record(
            pk=pk, kind=kind, item=item, program=program, store=store or "",
            item_kind=item_kind, calibre=calibre, reverses=reverses,
        )  # fmt: skip
        replay.apply(record)
    held: dict[Key, Counter[str]] = defaultdict(Counter)
    grouped = items.values_list("program__code", "store__code", "kind", "calibre", "state")
    for program, store, item_kind, calibre, state, n in grouped.annotate(n=Counted("pk")):
        if state in HELD:
            held[(program, store, item_kind, calibre_class(calibre))][state] += n
    rows = {}
    for key in sorted(set(replay.active()) | set(held)):
        figures = replay.figures(key)
        figures.update({name: held[key][name] for name in HELD})
        rows[key] = figures
    return rows


def program_weapons(*, program_code: str) -> dict[str, int]:
    """A program's weapons figures now (item counts), summed over its stores."""
    total = dict.fromkeys(FIGURES, 0)
    for figures in weapons_rows(program_code=program_code).values():
        for name in FIGURES:
            total[name] += figures[name]
    return total


def figures_log(*, day: dt.date | None = None) -> int:
    """Write the day's weapons figures to the log, once a day (run from a timer before
    publication); the number of records written, 0 when the day is logged already."""
    day = day or timezone.now().astimezone(dt.UTC).date()
    with transaction.atomic():
        if FiguresLogged.objects.select_for_update().filter(day=day).exists():
            return 0
        rows = weapons_rows()
        for key, figures in rows.items():
            ledger_append_record(figures_record(key=key, day=day.isoformat(), figures=figures))
        FiguresLogged.objects.create(day=day, logged_at=timezone.now(), records=len(rows))
    return len(rows)
