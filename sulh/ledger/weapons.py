"""The weapons figures in the transparency log, and the monitor's recount of them. Pure (no
Django): the site writes the records with it (``sulh.custody.log``), a monitor replays them
from the openings (``sulh.ledger.monitor``).

Two kinds of event record, neither with a person in it:

- ``custody_entry``: one a custody ledger entry that moves an item or counts in a flow
  (received, dispatched, received_at, issued, returned, lost, stolen, recovered,
  transferred, destroyed, and the reversal of one of these): ``entry`` (its kind),
  ``program`` and ``store`` (codes), ``item_kind``, ``calibre_class``, ``item`` (a keyed
  pseudonym of the item: it links one item's entries, nothing else) and ``ref`` (a keyed
  pseudonym of the entry; a reversal names the one it reverses in ``reverses``);
- ``weapons_figures``: one a program, store, item kind and calibre class each day
  (``day``), the figures as the site's database gives them then: the flows since the
  start counted from its ledger, the holdings (in store, in transit, issued) from the
  items' current states, and ``moved_in`` / ``moved_out`` between stores.

The monitor replays the entries in log order and checks, at each day's figures, that
they are what the entries before them give, and that the conservation identity holds for
each store and program:

    received + recovered (+ moved_in) = in_store + in_transit + issued + destroyed
                                        + transferred + lost (+ moved_out)

So an entry removed from the site's ledger, or an item's state changed without an entry,
shows in the next day's figures, and a figures record that the entries do not back fails.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENTRY_EVENT = "custody_entry"
FIGURES_EVENT = "weapons_figures"
FIGURES = (
    "received",
    "recovered",
    "in_store",
    "in_transit",
    "issued",
    "destroyed",
    "transferred",
    "lost",
)
MOVES = ("moved_in", "moved_out")
HELD = ("in_store", "in_transit", "issued")
REVERSAL = "reversal"
STATE_AFTER = {
    "received": "in_store",
    "dispatched": "in_transit",
    "received_at": "in_store",
    "issued": "issued",
    "returned": "in_store",
    "lost": "lost",
    "stolen": "lost",
    "recovered": "in_store",
    "transferred": "transferred",
    "destroyed": "destroyed",
}
FLOW_OF = {
    "received": "received",
    "recovered": "recovered",
    "lost": "lost",
    "stolen": "lost",
    "destroyed": "destroyed",
    "transferred": "transferred",
}
# entries after which the item stays its store's (in transit, issued, or gone from it)
KEEPS_STORE = frozenset({"dispatched", "issued", "lost", "stolen", "destroyed", "transferred"})
LOGGED_ENTRIES = frozenset(STATE_AFTER)

# (program, store, item kind, calibre class)
Key = tuple[str, str, str, str]


def entry_record(
    *,
    entry: str,
    program: str,
    store: str,
    item_kind: str,
    calibre_class: str,
    item: str,
    ref: str,
    reverses: str = "",
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event": ENTRY_EVENT,
        "entry": entry,
        "program": program,
        "store": store,
        "item_kind": item_kind,
        "calibre_class": calibre_class,
        "item": item,
        "ref": ref,
    }
    if reverses:
        record["reverses"] = reverses
    return record


def figures_record(*, key: Key, day: str, figures: Mapping[str, int]) -> dict[str, Any]:
    program, store, item_kind, calibre_class = key
    record: dict[str, Any] = {
        "event": FIGURES_EVENT,
        "program": program,
        "store": store,
        "item_kind": item_kind,
        "calibre_class": calibre_class,
        "day": day,
    }
    record.update({name: int(figures.get(name, 0)) for name in FIGURES + MOVES})
    return record


def record_key(record: Mapping[str, Any]) -> Key:
    return (
        str(record.get("program", "")),
        str(record.get("store", "")),
        str(record.get("item_kind", "")),
        str(record.get("calibre_class", "")),
    )


@dataclass
class _Step:
    ref: str
    changes: list[tuple[Key, str]]
    before: tuple[str, Key] | None  # the item's (state, key) before the entry


@dataclass
class Replay:
    """The figures the entries give, entry by entry, with reversals undoing the entry
    they name (always the item's latest; anything else is a problem)."""

    counts: dict[Key, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)
    _items: dict[str, tuple[str, Key]] = field(default_factory=dict)
    _steps: dict[str, list[_Step]] = field(default_factory=lambda: defaultdict(list))

    def apply(self, record: Mapping[str, Any], *, where: str = "") -> None:
        item, kind = str(record.get("item", "")), str(record.get("entry", ""))
        if kind == REVERSAL:
            self._undo(item, str(record.get("reverses", "")), where)
            return
        if kind not in STATE_AFTER:
            self.problems.append(f"{where}a custody entry of unknown kind {kind!r}")
            return
        before = self._items.get(item)
        key = record_key(record)
        changes: list[tuple[Key, str]] = []
        if kind == "received_at" and before is not None:
            changes += [(before[1], "moved_out"), (key, "moved_in")]
        if kind in FLOW_OF:
            at = key if kind in ("received", "recovered") or before is None else before[1]
            changes.append((at, FLOW_OF[kind]))
        after_key = before[1] if kind in KEEPS_STORE and before is not None else key
        self._move(before, (STATE_AFTER[kind], after_key), changes)
        self._items[item] = (STATE_AFTER[kind], after_key)
        self._steps[item].append(_Step(str(record.get("ref", "")), changes, before))

    def _move(
        self,
        before: tuple[str, Key] | None,
        after: tuple[str, Key] | None,
        changes: list[tuple[Key, str]],
    ) -> None:
        for key, name in changes:
            self.counts[key][name] += 1
        if before is not None and before[0] in HELD:
            self.counts[before[1]][before[0]] -= 1
        if after is not None and after[0] in HELD:
            self.counts[after[1]][after[0]] += 1

    def _undo(self, item: str, ref: str, where: str) -> None:
        steps = self._steps.get(item)
        if not steps or steps[-1].ref != ref:
            self.problems.append(f"{where}a reversal of an entry that is not the item's latest")
            return
        step = steps.pop()
        for key, name in step.changes:
            self.counts[key][name] -= 1
        current = self._items.get(item)
        if current is not None and current[0] in HELD:
            self.counts[current[1]][current[0]] -= 1
        if step.before is not None and step.before[0] in HELD:
            self.counts[step.before[1]][step.before[0]] += 1
        if step.before is None:
            self._items.pop(item, None)
        else:
            self._items[item] = step.before

    def figures(self, key: Key) -> dict[str, int]:
        counted = self.counts.get(key, Counter())
        return {name: counted[name] for name in FIGURES + MOVES}

    def active(self) -> list[Key]:
        return sorted(k for k, c in self.counts.items() if any(c.values()))


def identity_mismatch(figures: Mapping[str, int], *, moves: bool) -> str:
    """Empty when the conservation identity holds; else by how much it fails."""
    inflow = figures.get("received", 0) + figures.get("recovered", 0)
    outflow = sum(figures.get(name, 0) for name in FIGURES[2:])
    if moves:
        inflow += figures.get("moved_in", 0)
        outflow += figures.get("moved_out", 0)
    if inflow == outflow:
        return ""
    return (
        f"received + recovered{' + moved_in' if moves else ''} = {inflow}, but in store + in "
        f"transit + issued + destroyed + transferred + lost{' + moved_out' if moves else ''} "
        f"= {outflow}"
    )


def totals(rows: Iterable[tuple[Key, Mapping[str, int]]], *, by: str) -> dict[str, Counter[str]]:
    """The figures summed per program (``by="program"``) or per program and store."""
    summed: dict[str, Counter[str]] = defaultdict(Counter)
    for key, figures in rows:
        name = key[0] if by == "program" else f"{key[0]} store {key[1]}"
        summed[name].update({n: int(figures.get(n, 0)) for n in FIGURES + MOVES})
    return summed


def day_problems(day: str, rows: list[tuple[Key, Mapping[str, int]]]) -> list[str]:
    """The conservation identity for each store and each program of one day's figures."""
    problems = []
    for by, moves in (("store", True), ("program", False)):
        for name, figures in sorted(totals(rows, by=by).items()):
            if why := identity_mismatch(figures, moves=moves):
                problems.append(f"weapons {day}, program {name}: {why}")
    return problems


def weapons_check(
    records: Iterable[Mapping[str, Any] | None], *, program: str
) -> tuple[int, list[str]]:
    """(checks made, problems) over the log's records of ``program``, in log order."""
    replay = Replay()
    problems: list[str] = []
    checked = 0
    batch: list[tuple[int, Mapping[str, Any]]] = []

    def close() -> None:
        nonlocal checked
        if not batch:
            return
        day = str(batch[0][1].get("day", ""))
        rows = [(record_key(r), r) for _i, r in batch]
        logged = {key for key, _r in rows}
        for (key, record), (index, _r) in zip(rows, batch, strict=True):
            checked += 1
            given = replay.figures(key)
            shown = {name: int(record.get(name, 0)) for name in FIGURES + MOVES}
            if shown != given:
                problems.append(
                    f"leaf {index}: weapons {day} of {'/'.join(key)} say {_differs(shown, given)}"
                    " than the custody entries logged before them give"
                )
        for key in replay.active():
            if key not in logged:
                problems.append(
                    f"weapons {day}: no figures for {'/'.join(key)}, whose entries give "
                    f"{replay.figures(key)}"
                )
        problems.extend(day_problems(day, rows))
        batch.clear()

    for index, record in enumerate(records):
        if record is None or record.get("program") != program:
            continue
        event = record.get("event")
        if event == FIGURES_EVENT:
            if batch and batch[-1][0] != index - 1:
                close()
            batch.append((index, record))
            continue
        close()
        if event == ENTRY_EVENT:
            replay.apply(record, where=f"leaf {index}: ")
    close()
    return checked, problems + replay.problems


def _differs(shown: Mapping[str, int], given: Mapping[str, int]) -> str:
    return ", ".join(
        f"{name} {shown[name]} (not {given[name]})" for name in shown if shown[name] != given[name]
    )
