"""The custody figures and the conservation identity, from events alone. Pure: the
publisher and a monitor compute them the same way, from rows or from files.

Per program and per store: the flows counted from the ledger (received, recovered,
destroyed, transferred, lost — a theft counts as lost) and the holdings (in store, in
transit, issued). A store's items that moved to another store count ``moved_out`` there
and ``moved_in`` at the other; an item in transit stays its sending store's until it is
received. So, for each store and for each program (where the moves cancel out):

    received + recovered (+ moved_in) = in_store + in_transit + issued + destroyed
                                        + transferred + lost (+ moved_out)

A reversed entry and its reversal count as neither. Holdings may be given from the items'
current states (what a database says now); then an item whose state was changed without
an event breaks the identity, which is what the check is for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# one set of rules for the site's figures and the log's (``sulh.ledger.weapons``, which the
# monitor replays): what each entry makes of an item, which entries are flows
from sulh.ledger.weapons import (
    FIGURES,
    FLOW_OF,
    KEEPS_STORE,
    MOVES,
    REVERSAL,
    STATE_AFTER,
    identity_mismatch,
)

IN_STORE, IN_TRANSIT, ISSUED = "in_store", "in_transit", "issued"


@dataclass(frozen=True)
class Entry:
    """One ledger entry as the figures need it: no person, no serial."""

    id: int
    item: int
    kind: str
    program: int
    store: int | None  # where it happened (the receiving store for received_at)
    reverses: int | None = None


@dataclass(frozen=True)
class Holding:
    """An item's current state and store, as the items' table says."""

    item: int
    program: int
    state: str
    store: int | None


@dataclass
class Figures:
    received: int = 0
    recovered: int = 0
    in_store: int = 0
    in_transit: int = 0
    issued: int = 0
    destroyed: int = 0
    transferred: int = 0
    lost: int = 0
    moved_in: int = 0
    moved_out: int = 0

    def as_dict(self, *, moves: bool = False) -> dict[str, int]:
        names = FIGURES + MOVES if moves else FIGURES
        return {name: getattr(self, name) for name in names}


@dataclass
class CustodyFigures:
    programs: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))
    stores: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))


def effective(entries: Iterable[Entry]) -> list[Entry]:
    """The entries that count: neither reversed nor a reversal, in their order."""
    listed = list(entries)
    reversed_ids = {entry.reverses for entry in listed if entry.kind == REVERSAL}
    return [e for e in listed if e.kind != REVERSAL and e.id not in reversed_ids]


def custody_figures(
    entries: Iterable[Entry], *, holdings: Iterable[Holding] | None = None
) -> CustodyFigures:
    """The figures per program and per store. Entries in ledger order (by id)."""
    result = CustodyFigures()
    replayed: dict[int, Holding] = {}
    for entry in sorted(effective(entries), key=lambda e: e.id):
        _apply(entry, replayed.get(entry.item), replayed, result)
    for holding in replayed.values() if holdings is None else holdings:
        if holding.state in (IN_STORE, IN_TRANSIT, ISSUED) and holding.store is not None:
            _add(result, holding.program, holding.store, holding.state)
    return result


def _apply(
    entry: Entry, before: Holding | None, replayed: dict[int, Holding], result: CustodyFigures
) -> None:
    store = entry.store if entry.store is not None else (before.store if before else None)
    if entry.kind == "received_at" and before is not None and before.store is not None:
        _add(result, None, before.store, "moved_out")
        _add(result, None, store, "moved_in")
    if entry.kind in FLOW_OF:
        # a loss, destruction or transfer counts at the store that held the item
        at = (
            store
            if entry.kind in ("received", "recovered")
            else (before.store if before else store)
        )
        _add(result, entry.program, at, FLOW_OF[entry.kind])
    if entry.kind in STATE_AFTER:
        keeps = entry.kind in KEEPS_STORE
        where = (before.store if before else store) if keeps else store
        replayed[entry.item] = Holding(entry.item, entry.program, STATE_AFTER[entry.kind], where)


def _add(result: CustodyFigures, program: int | None, store: int | None, name: str) -> None:
    if program is not None and name not in MOVES:
        figures = result.programs[program]
        setattr(figures, name, getattr(figures, name) + 1)
    if store is not None:
        figures = result.stores[store]
        setattr(figures, name, getattr(figures, name) + 1)


def conservation_mismatch(figures: Figures | Mapping[str, int]) -> str:
    """Empty when the identity holds; else the sentence that says by how much it fails."""
    values = figures if isinstance(figures, Mapping) else figures.as_dict(moves=True)
    return identity_mismatch(values, moves=any(values.get(name, 0) for name in MOVES))


def conservation_check(result: CustodyFigures) -> list[str]:
    """Every program and store whose figures break the identity, with the sentence."""
    problems = [
        f"program {key}: {why}"
        for key, figures in sorted(result.programs.items())
        if (why := conservation_mismatch(figures))
    ]
    problems += [
        f"store {key}: {why}"
        for key, figures in sorted(result.stores.items())
        if (why := conservation_mismatch(figures))
    ]
    return problems
