"""The program's figures and the method that publishes them without singling anyone out.

One module, used by the publisher (the bulletin) and by the monitor (its check), so the two
cannot count differently. Pure: no Django, no database; it works on the opened event
records of the log, aligned to it (``records[i]`` is leaf ``i``; ``None`` for a leaf the
caller could not or need not open, ``{"event": "padding"}`` for padding).

- ``figures_exact``: the exact tables (managers see these).
- ``bulletin_sections``: the published tables, protected by **cell-key perturbation with
  two-sided geometric noise** (``Method``), and an exact block for the figures the program
  publishes exactly, advanced only when the hold rule allows.
- ``check_sections``: the monitor's recomputation; a list of differences, empty when the
  bulletin is what the records give.

docs/disclosure.md states the method precisely enough for a monitor to reimplement it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hmac
import itertools
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any

from sulh.ledger.leaves import CORRIDOR_EVENT, DUPLICATE_EVENT

FIGURES = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
OUTCOME_FIGURE = {
    "amnesty": "amnesty_granted",
    "departure": "departure",
    "referral": "referred",
    "denial": "denied",
}
STANDING_EVENTS = frozenset({"decision_taken", "appealed", "eligibility_revoked"})
PADDING_EVENT = "padding"
CHILD_BAND = "child"
GROUPS = ("station", "sex", "age_band")
DAY_FIGURES = ("registered", "decided")
SECTIONS = (
    "figures", "children", "by_station", "by_sex", "by_age_band", "by_day", "corridor",
    "departures",
)  # fmt: skip
# departures[row][figure]: the row "all" and one row per convoy that departed ("convoy-N");
# people, from the departure records (docs/departures.md), as tallies are: each record a
# contributor weighing its count, keyed by its position
DEPARTURE_EVENTS = frozenset({"vehicle_departed", "convoy_incident", "traveller_arrived"})
DEPARTURE_ALL = "all"
DEPARTURE_FIGURES = (
    "departed", "no_show", "arrived", "removed", "returned", "unaccounted",
    "fighters", "family_members", "children", "wounded",
)  # fmt: skip
# by_station publishes who registered there only: someone who watches a station's door
# sees who goes in, so an outcome counted by station would speak of the people they saw
# (docs/disclosure.md); outcomes are published for the program, by sex and by age band.
STATION_FIGURES = ("registered",)
METHOD_NAME = "cell-key perturbation, two-sided geometric"
METHOD_VERSION = "sulh-cellkey/4"
EARLIER, LATER = "earlier", "later"  # by_day rows for days before and after the window
SEXES = ("female", "male")  # the by_sex rows every bulletin declares
ADULT_BANDS = ("18-24", "25-34", "35-49", "50+", "unknown")  # the by_age_band rows
KEY_BITS = 64  # record and cell keys: integers mod 2**64
DRAW_BITS = 128  # each geometric draw: a 128-bit uniform integer against 128-bit thresholds
_KEY_MOD = 1 << KEY_BITS
_ONE = 1 << DRAW_BITS

# A cell's place in the bulletin, e.g. ("by_station", "alp-east-1", "referred").
CellPath = tuple[str, ...]


@dataclass(frozen=True)
class Method:
    """The disclosure method and its parameters, named in every bulletin (``as_dict``).

    ``epsilon`` sets the noise: alpha = exp(-epsilon); the default 0.5 gives a noise
    standard deviation of 2.8 (docs/disclosure.md says why). ``exact`` names the program
    figures (adults, whole program) published exactly in the exact block. ``delay_days``:
    a cell ready to change changes at the end of a day drawn from the next ``delay_days``
    (its own keyed draw), so that the day it changes does not tell the day it was ready."""

    name: str = METHOD_NAME
    min_cell: int = 5
    epsilon: float = 0.5
    exact: tuple[str, ...] = ("registered",)
    delay_days: int = 7

    def __post_init__(self) -> None:
        if self.name != METHOD_NAME:
            raise ValueError(f"unknown disclosure method {self.name!r}")
        if self.min_cell < 1:
            raise ValueError("min_cell must be at least 1")
        if not 1 <= self.delay_days <= 60:
            raise ValueError("delay_days must lie between 1 and 60")
        if not 0.01 <= self.epsilon <= 20:
            raise ValueError("epsilon must lie between 0.01 and 20")
        unknown = [name for name in self.exact if name not in FIGURES]
        if unknown or len(set(self.exact)) != len(self.exact):
            raise ValueError(f"exact figures must be distinct names from {FIGURES}")

    @property
    def alpha_fixed(self) -> int:
        """floor(exp(-epsilon) * 2**128): the alpha every draw uses, published in full."""
        return alpha_fixed(self.epsilon)

    @property
    def noise_sd(self) -> float:
        alpha = math.exp(-self.epsilon)
        return math.sqrt(2 * alpha) / (1 - alpha)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": METHOD_VERSION,
            "min_cell": self.min_cell,
            "epsilon": self.epsilon,
            "alpha_fixed128": f"{self.alpha_fixed:032x}",
            "noise_sd": round(self.noise_sd, 2),
            "exact": list(self.exact),
            "delay_days": self.delay_days,
        }

    @classmethod
    def from_dict(cls, published: dict[str, Any]) -> Method:
        """The method a bulletin names; ValueError when it is not one this module computes."""
        if published.get("version") != METHOD_VERSION:
            raise ValueError(f"unknown disclosure method version {published.get('version')!r}")
        method = cls(
            name=published["name"],
            min_cell=int(published["min_cell"]),
            epsilon=float(published["epsilon"]),
            exact=tuple(published["exact"]),
            delay_days=int(published["delay_days"]),
        )
        if published.get("alpha_fixed128") != method.as_dict()["alpha_fixed128"]:
            raise ValueError("the published alpha is not floor(exp(-epsilon) * 2**128)")
        return method


@lru_cache(maxsize=16)
def alpha_fixed(epsilon: float) -> int:
    """floor(exp(-epsilon) * 2**128), epsilon taken as the exact binary64 value, computed in
    decimal at 60 significant digits (correctly rounded, so the same on every machine)."""
    context = Context(prec=60)
    return int(context.multiply(context.exp(Decimal(-epsilon)), Decimal(_ONE)))


@lru_cache(maxsize=16)
def _thresholds(alpha: int) -> tuple[int, ...]:
    """Negated T_k = floor(2**128 * (alpha / 2**128)**k) for k = 1, 2, ... while T_k > 0,
    ascending, so that bisect counts the k with u < T_k."""
    negated: list[int] = []
    power, k = alpha, 1
    while (threshold := power >> (DRAW_BITS * (k - 1))) > 0:
        negated.append(-threshold)
        power *= alpha
        k += 1
    return tuple(negated)


def _geometric(u: int, negated: tuple[int, ...]) -> int:
    """The number of k >= 1 with u < T_k: P(G >= k) = T_k / 2**128, i.e. alpha**k."""
    return bisect.bisect_left(negated, -u)


def case_key(secret: bytes, link: str) -> int:
    """A case's record key: the first 8 bytes of HMAC-SHA256(secret, "case:" + link)."""
    digest = hmac.digest(secret, b"case:" + link.encode("utf-8"), "sha256")
    return int.from_bytes(digest[:8], "big")


def tally_key(secret: bytes, position: int) -> int:
    """A corridor tally's record key, from its position in the log."""
    digest = hmac.digest(secret, b"tally:%d" % position, "sha256")
    return int.from_bytes(digest[:8], "big")


def step_delay(secret: bytes, path: CellPath, day: str, days: int) -> int:
    """How many days after ``day`` (the day a cell became ready to change) it changes: the
    first 8 bytes of HMAC-SHA256(secret, "delay:" || path || 0x00 || day), mod ``days``."""
    message = b"delay:" + "/".join(path).encode("utf-8") + b"\x00" + day.encode("ascii")
    return int.from_bytes(hmac.digest(secret, message, "sha256")[:8], "big") % days


def noise(*, secret: bytes, path: CellPath, cell_key: int, value: int, method: Method) -> int:
    """The cell's deterministic two-sided geometric draw: G1 - G2 from the two halves of
    HMAC-SHA256(secret, "noise:" || path || 0x00 || cell key (8 bytes) || value (8 bytes)),
    the path's parts joined by "/" in UTF-8 (``by_station/alp-east-1/referred``). The same
    people in two places get two independent draws; in one place, the same draw."""
    message = b"".join(
        (
            b"noise:",
            "/".join(path).encode("utf-8"),
            b"\x00",
            (cell_key % _KEY_MOD).to_bytes(8, "big"),
            value.to_bytes(8, "big"),
        )
    )
    digest = hmac.digest(secret, message, "sha256")
    negated = _thresholds(method.alpha_fixed)
    first = _geometric(int.from_bytes(digest[:16], "big"), negated)
    return first - _geometric(int.from_bytes(digest[16:], "big"), negated)


def perturb(
    *, secret: bytes, path: CellPath, cell_key: int, value: int, method: Method
) -> int | None:
    """What a cell publishes: value + noise, or None ("< min_cell") when that is below
    min_cell; a true 0 (key 0) is drawn like any other value. No published number lies
    between 0 and min_cell - 1, so a None says nothing about whether anyone is in the cell."""
    shown = value + noise(secret=secret, path=path, cell_key=cell_key, value=value, method=method)
    return shown if shown >= method.min_cell else None


# -- counting ---------------------------------------------------------------------------


@dataclass
class _Events:
    """One program's event records, as the counting rules need them."""

    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    standing: dict[str, str] = field(default_factory=dict)
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (link, day)
    closed: set[str] = field(default_factory=set)
    tallies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (position, record)
    departures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _events(records: Sequence[dict[str, Any] | None], program: str) -> _Events:
    events = _Events()
    for position, record in enumerate(records):
        if record is None or record.get("program") != program:
            continue  # public leaves, padding (no program) and other programs' events
        event = record["event"]
        if event == CORRIDOR_EVENT:
            events.tallies.append((position, record))
        elif event in DEPARTURE_EVENTS:
            if departure_moves(record):
                events.departures.append((position, record))
        elif event == "registered":
            events.registered[record["link"]] = record
        elif event == DUPLICATE_EVENT:
            events.closed.add(record["link"])
        elif event in STANDING_EVENTS:
            link = record["link"]
            if event == "decision_taken":
                events.standing[link] = OUTCOME_FIGURE.get(record.get("outcome", ""), "pending")
                events.decisions.append((link, record["day"]))
            else:
                events.standing[link] = "pending"
    return events


@dataclass(frozen=True)
class Rows:
    """The rows every bulletin of a program publishes, whoever is in them: fixed by the
    site and the calendar, never by the records, so that a row's presence says nothing.

    ``day``: the window's days (ISO), optionally with ``EARLIER`` and ``LATER``, the rows
    that days before the first and after the last of them count in. A record in a row not
    declared here gets its row all the same (then that row's presence does say someone is
    in it; the publisher declares every row a record can have)."""

    station: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    day: tuple[str, ...] = ()
    # the last day whose end the tables have reached (the day before the bulletin's, UTC):
    # a cell due to change by then changes, though no record of a later day came yet
    through: str = ""

    @classmethod
    def of_bulletin(cls, published: dict[str, Any]) -> Rows:
        """The rows a published bulletin declares (for the monitor's recount)."""

        def keys(section: str) -> tuple[str, ...]:
            table = published.get(section)
            return tuple(table) if isinstance(table, dict) else ()

        return cls(
            station=keys("by_station"),
            sex=keys("by_sex"),
            age_band=keys("by_age_band"),
            day=keys("by_day"),
            through=str(published.get("tables_through") or ""),
        )

    def day_row(self, day: str) -> str:
        dates = [d for d in self.day if d not in (EARLIER, LATER)]
        if dates and day < min(dates) and EARLIER in self.day:
            return EARLIER
        if dates and day > max(dates) and LATER in self.day:
            return LATER
        return day


def _day_order(row: str) -> tuple[int, str]:
    return (0 if row == EARLIER else 2 if row == LATER else 1, row)


@dataclass
class _Cells:
    """Every cell of the tables: its value and the sum of its contributors' keys."""

    values: dict[CellPath, list[int]] = field(default_factory=dict)  # path -> [value, key sum]
    rows: dict[str, set[str]] = field(default_factory=dict)  # section -> row names seen

    def add(self, path: CellPath, value: int, key: int) -> None:
        cell = self.values.get(path)
        if cell is None:
            self.values[path] = [value, key]
        else:
            cell[0] += value
            cell[1] += key

    def value(self, path: CellPath) -> int:
        return self.values.get(path, [0, 0])[0]


def _count(
    records: Sequence[dict[str, Any] | None],
    program: str,
    key_of: Callable[[str], int],
    tally_key_of: Callable[[int], int],
    rows: Rows,
) -> _Cells:
    """Each registered case counts once, under its standing decision's outcome or pending;
    a case closed as a duplicate counts nowhere; children count in ``children`` only."""
    events = _events(records, program)
    day_row = functools.lru_cache(maxsize=None)(rows.day_row)
    keys = {link: key_of(link) for link in events.registered if link not in events.closed}
    combos: dict[tuple[str, ...], list[int]] = {}  # (station, sex, band, day, figure) or (figure,)
    for link, key in keys.items():
        combo = _combo(events.registered[link], events.standing.get(link, "pending"), day_row)
        cell = combos.get(combo)
        if cell is None:
            combos[combo] = [1, key]
        else:
            cell[0] += 1
            cell[1] += key
    cells = _Cells(rows={section: set() for section in SECTIONS[2:]})
    for group in GROUPS:
        cells.rows[f"by_{group}"].update(getattr(rows, group))
    cells.rows["by_day"].update(rows.day)
    _roll_up(cells, combos)
    _count_decisions(cells, events, lambda link: keys.get(link) or key_of(link), day_row)
    for position, record in events.tallies:
        day = day_row(record["day"])
        cells.rows["corridor"].add(day)
        path = ("corridor", day, record["station"])
        cells.add(path, int(record["count"]), tally_key_of(position))
    for position, record in events.departures:
        key = tally_key_of(position)
        for row in departure_rows(record):
            cells.rows["departures"].add(row)
            for name, people in departure_moves(record):
                cells.add(("departures", row, name), people, key if people > 0 else -key)
    return cells


def departure_moves(record: dict[str, Any]) -> list[tuple[str, int]]:
    """A departure record's (figure, people) for its rows: a vehicle's departure adds its
    boarded (departed, and unaccounted until accounted for), no-shows and headcounts by
    category; a removal or a return its count (out of unaccounted); an arrival scan its
    count (out of unaccounted). The same rules as ``sulh.departures.records``."""
    event = record.get("event")
    count = lambda name: int(record.get(name, 0) or 0)  # noqa: E731
    if event == "vehicle_departed":
        boarded = count("boarded")
        moves = [("departed", boarded), ("unaccounted", boarded), ("no_show", count("no_show"))]
        moves += [(name, count(name)) for name in DEPARTURE_FIGURES[6:]]
    elif event == "convoy_incident" and record.get("kind") in ("removed", "returned"):
        moves = [(str(record["kind"]), count("count")), ("unaccounted", -count("count"))]
    elif event == "traveller_arrived":
        moves = [("arrived", count("count")), ("unaccounted", -count("count"))]
    else:
        return []
    return [(name, people) for name, people in moves if people]


def departure_rows(record: dict[str, Any]) -> tuple[str, str]:
    return (DEPARTURE_ALL, f"convoy-{record.get('convoy')}")


def _combo(record: dict[str, Any], figure: str, day_row: Callable[[str], str]) -> tuple[str, ...]:
    """A case's finest combination: its station, sex, age band, day and figure (a child's:
    its figure only, since children are counted in one row)."""
    if record.get("age_band") == CHILD_BAND:
        return (figure,)
    return (
        record.get("station") or "unknown",
        record.get("sex") or "unknown",
        record.get("age_band") or "unknown",
        day_row(record["day"]),
        figure,
    )


def _roll_up(cells: _Cells, combos: dict[tuple[str, ...], list[int]]) -> None:
    """From the finest combinations to every table's cells (one-way tables only)."""
    for combo, (value, key) in combos.items():
        figure = combo[-1]
        if len(combo) == 1:
            for name in ("registered", figure):
                cells.add(("children", name), value, key)
            continue
        day = combo[3]
        for name in ("registered", figure):
            cells.add(("figures", name), value, key)
            for group, row in zip(GROUPS, combo[:3], strict=True):
                cells.add((f"by_{group}", row, name), value, key)
                cells.rows[f"by_{group}"].add(row)
        cells.add(("by_day", day, "registered"), value, key)
        cells.rows["by_day"].add(day)


def _count_decisions(
    cells: _Cells,
    events: _Events,
    key_of: Callable[[str], int],
    day_row: Callable[[str], str],
) -> None:
    """by_day.decided: adults' decision_taken events by day, cases closed as duplicates
    left out."""
    for link, day in events.decisions:
        if link in events.closed:
            continue
        if events.registered.get(link, {}).get("age_band") == CHILD_BAND:
            continue
        row = day_row(day)
        cells.add(("by_day", row, "decided"), 1, key_of(link))
        cells.rows["by_day"].add(row)


def _paths(cells: _Cells, station_figures: Sequence[str]) -> Iterator[CellPath]:
    """Every cell of the tables, in bulletin order (rows sorted)."""
    for section in ("figures", "children"):
        for name in FIGURES:
            yield (section, name)
    for group in GROUPS:
        names = station_figures if group == "station" else FIGURES
        for row in sorted(cells.rows[f"by_{group}"]):
            for name in names:
                yield (f"by_{group}", row, name)
    for day in sorted(cells.rows["by_day"], key=_day_order):
        for name in DAY_FIGURES:
            yield ("by_day", day, name)
    yield from sorted(path for path in cells.values if path[0] == "corridor")
    for row in sorted(cells.rows.get("departures", ()), key=_departure_order):
        for name in DEPARTURE_FIGURES:
            yield ("departures", row, name)


def _departure_order(row: str) -> tuple[int, int, str]:
    number = row.removeprefix("convoy-")
    return (row != DEPARTURE_ALL, int(number) if number.isdigit() else 0, row)


def _tables(
    cells: _Cells,
    shown: Callable[[CellPath, list[int] | None], int | None],
    station_figures: Sequence[str] = FIGURES,
) -> dict[str, Any]:
    """The sections in the shape of ``figures_exact``, each cell as ``shown`` renders it
    (by_station with ``station_figures``: the published tables have STATION_FIGURES)."""
    tables: dict[str, Any] = {section: {} for section in SECTIONS}
    for path in _paths(cells, station_figures):
        row = tables[path[0]]
        for part in path[1:-1]:
            row = row.setdefault(part, {})
        row[path[-1]] = shown(path, cells.values.get(path))  # None: no contributors
    return tables


def _no_keys(_: Any) -> int:
    return 0


def figures_exact(
    records: Sequence[dict[str, Any] | None], *, program: str, rows: Rows | None = None
) -> dict[str, Any]:
    """The exact tables: ``figures``, ``children`` (apart, in no other figure), ``by_station``,
    ``by_sex``, ``by_age_band`` (rows of FIGURES), ``by_day`` (adults registered and
    decided) and ``corridor`` (day -> crossing point -> people). Without ``rows``, only the
    rows someone is in."""
    cells = _count(records, program, _no_keys, _no_keys, rows or Rows())
    return _tables(cells, lambda _, cell: cell[0] if cell else 0)


# -- the exact block and its hold rule --------------------------------------------------


def _combinations_small(values: Sequence[int], min_cell: int) -> bool:
    """Whether any signed combination (each figure counted +1, -1 or not at all, at least one
    counted) is below min_cell in absolute value, 0 included: for one figure its value; for
    two also their difference (e.g. registered - amnestied)."""
    for signs in itertools.product((1, 0, -1), repeat=len(values)):
        if any(signs) and abs(sum(s * v for s, v in zip(signs, values, strict=True))) < min_cell:
            return True
    return False


def hold_rule_allows(
    values: dict[str, int], previous: dict[str, Any] | None, *, method: Method
) -> bool:
    """The exact block may show ``values`` when every signed combination of them, and of
    their changes since the previous block, is at least min_cell in absolute value (0 is
    held like 1 to min_cell - 1, so that a block not shown says nothing about which)."""
    before = (previous or {}).get("figures", {})
    now = [values[name] for name in method.exact]
    changes = [values[name] - int(before.get(name, 0)) for name in method.exact]
    return not (
        _combinations_small(now, method.min_cell) or _combinations_small(changes, method.min_cell)
    )


def _advance(
    values: dict[str, int], *, size: int, method: Method, previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    if previous is not None and previous["as_of_size"] > size:
        raise ValueError("the previous exact block is ahead of the records")
    if previous is not None and all(
        previous["figures"].get(name) == values[name] for name in method.exact
    ):
        return previous  # nothing moved: the block already committed stands
    if not hold_rule_allows(values, previous, method=method):
        return previous
    return {"as_of_size": size, "figures": {name: values[name] for name in method.exact}}


def exact_block(
    records: Sequence[dict[str, Any] | None],
    *,
    program: str,
    method: Method,
    previous: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """``{"as_of_size": N, "figures": {name: value}}``: the figures ``method.exact`` names over
    records[:N]. Advances to N = len(records) only when the hold rule allows; otherwise
    keeps ``previous`` (None when there is none), so a day's small change never shows."""
    figures = figures_exact(records, program=program)["figures"]
    return _advance(figures, size=len(records), method=method, previous=previous)


# -- the bulletin and the monitor's check -----------------------------------------------


# -- what each cell publishes: its state as of its last anchor --------------------------


class _Anchored:
    """A cell of the published tables: its value and key sum now, the two as of its last
    anchor (what it publishes), what moved since (contributor -> signed weight), and the
    day by whose end it changes once it is ready (None while it is not)."""

    __slots__ = ("due", "key", "moved", "path", "shown", "value", "weight")

    def __init__(self, path: CellPath) -> None:
        self.path = path
        self.value = 0
        self.key = 0
        self.shown = (0, 0)
        self.moved: dict[Any, int] = {}
        self.weight = 0  # the weight of the contributors that moved since the anchor
        self.due: str | None = None


class _Steps:
    """When cells change (anchor). A cell is ready once the contributors that entered or
    left it since its last anchor weigh min_cell or more (one that came and went counts for
    nothing); a ready cell is given a due day, the day it became ready plus its keyed
    ``step_delay``; at the end of its due day (the first day end at or after it) it anchors,
    publishing its state at that moment, if it is still ready then."""

    def __init__(self, secret: bytes, min_cell: int, delay_days: int) -> None:
        self.secret = secret
        self.min_cell = min_cell
        self.delay_days = delay_days
        self.day = ""  # the latest day of the program's records so far
        self.ready: dict[CellPath, _Anchored] = {}

    def move(self, cells: Sequence[_Anchored], contributor: Any, weight: int, key: int) -> None:
        """A contributor enters (weight > 0) or leaves (< 0) each of ``cells``."""
        signed_key = key if weight > 0 else -key
        for cell in cells:
            cell.value += weight
            cell.key += signed_key
            moved = cell.moved
            before = moved.pop(contributor, 0)
            after = before + weight
            if after:
                moved[contributor] = after
            cell.weight += abs(after) - abs(before)
            if cell.due is None and cell.weight >= self.min_cell:
                cell.due = ""  # before any day: due at the first day end
                if self.day:
                    delay = step_delay(self.secret, cell.path, self.day, self.delay_days)
                    due = dt.date.fromisoformat(self.day) + dt.timedelta(days=delay)
                    cell.due = due.isoformat()
                self.ready[cell.path] = cell

    def new_day(self, day: str) -> None:
        """A record of ``day`` comes: if it is later than the records so far, the days
        before it have ended."""
        if day <= self.day:
            return
        if self.day:
            self.day_end(day)
        self.day = day

    def day_end(self, before: str) -> None:
        """Every day before ``before`` has ended: the cells due by then anchor."""
        for path, cell in list(self.ready.items()):
            if cell.due is not None and cell.due < before:
                if cell.weight >= self.min_cell:
                    cell.shown = (cell.value, cell.key % _KEY_MOD)
                    cell.moved.clear()
                    cell.weight = 0
                cell.due = None
                del self.ready[path]


class _Case:
    __slots__ = ("base", "closed", "decided", "figure", "key")

    def __init__(self, key: int) -> None:
        self.base: tuple[str, ...] | None = None  # (station, sex, band, day) or (CHILD_BAND,)
        self.figure = "pending"
        self.closed = False
        self.key = key
        self.decided: list[tuple[_Anchored, int]] = []  # (cell, the decision's position)


@dataclass
class _Published:
    cells: dict[CellPath, _Anchored]
    rows: dict[str, set[str]]
    # the program figures' cells (value, key) after records[:size], for each size asked
    snapshots: dict[int, dict[str, tuple[int, int]]]

    def current(self, name: str) -> int:
        cell = self.cells.get(("figures", name))
        return cell.value if cell else 0


def _published_state(
    records: Sequence[dict[str, Any] | None],
    program: str,
    secret: bytes,
    rows: Rows,
    method: Method,
    snapshots: Collection[int] = (),
) -> _Published:
    """One pass over the log, in order: every cell's state now and as of its last anchor,
    counted by the rules of ``figures_exact`` (its values now are that function's), and the
    program figures as they stood after records[:size] for each of ``snapshots``. The
    program's days end as its records' days advance, and at the end every day up to
    ``rows.through`` has ended."""
    steps = _Steps(secret, method.min_cell, method.delay_days)
    day_row = functools.lru_cache(maxsize=None)(rows.day_row)
    cells: dict[CellPath, _Anchored] = {}
    found: dict[str, set[str]] = {section: set() for section in SECTIONS[2:]}
    for name in GROUPS:
        found[f"by_{name}"].update(getattr(rows, name))
    found["by_day"].update(rows.day)
    groups: dict[tuple[Any, ...], tuple[_Anchored, ...]] = {}

    def cell(path: CellPath) -> _Anchored:
        got = cells.get(path)
        if got is None:
            got = cells[path] = _Anchored(path)
        return got

    def cells_under(base: tuple[str, ...], name: str) -> tuple[_Anchored, ...]:
        """The cells a case of ``base`` is in under figure ``name``."""
        got = groups.get((base, name))
        if got is None:
            if len(base) == 1:
                paths: list[CellPath] = [("children", name)]
            else:
                paths = [("figures", name)]
                paths += [
                    (f"by_{g}", row, name)
                    for g, row in zip(GROUPS, base[:3], strict=True)
                    if g != "station" or name in STATION_FIGURES
                ]
                if name == "registered":
                    paths.append(("by_day", base[3], "registered"))
            got = groups[(base, name)] = tuple(cell(path) for path in paths)
        return got

    def enter(case: _Case, link: str, sign: int) -> None:
        assert case.base is not None
        for name in ("registered", case.figure):
            steps.move(cells_under(case.base, name), link, sign, case.key)

    def undecide(case: _Case, link: str) -> None:
        for target, position in case.decided:
            steps.move((target,), (link, position), -1, case.key)
        case.decided.clear()

    cases: dict[str, _Case] = {}

    def case_of(link: str) -> _Case:
        got = cases.get(link)
        if got is None:
            got = cases[link] = _Case(case_key(secret, link))
        return got

    taken: dict[int, dict[str, tuple[int, int]]] = {}
    wanted = set(snapshots)
    for position, record in enumerate(records):
        if position in wanted:
            taken[position] = _figures_now(cells)
        if record is None or record.get("program") != program:
            continue
        if record.get("day"):
            steps.new_day(record["day"])
        event = record["event"]
        if event in DEPARTURE_EVENTS:
            moves = departure_moves(record)
            key = tally_key(secret, position)
            for row in departure_rows(record) if moves else ():
                found["departures"].add(row)
                for name, people in moves:
                    steps.move((cell(("departures", row, name)),), position, people, key)
            continue
        if event == CORRIDOR_EVENT:
            day = day_row(record["day"])
            found["corridor"].add(day)
            target = cell(("corridor", day, record["station"]))
            key = tally_key(secret, position)
            steps.move((target,), position, int(record["count"]), key)
            continue
        link = record.get("link")
        if link is None:
            continue
        case = case_of(link)
        if event == "registered":
            if case.closed:
                continue
            if case.base is not None:
                enter(case, link, -1)  # registered again: the later registration counts
            if record.get("age_band") == CHILD_BAND:
                case.base = (CHILD_BAND,)
                undecide(case, link)  # children's decisions are not in by_day.decided
            else:
                station, sex, band = (
                    record.get(name) or "unknown" for name in ("station", "sex", "age_band")
                )
                case.base = (station, sex, band, day_row(record["day"]))
                for name, row in zip(GROUPS, case.base, strict=False):
                    found[f"by_{name}"].add(row)
                found["by_day"].add(case.base[3])
            enter(case, link, 1)
        elif event == DUPLICATE_EVENT:
            if case.closed:
                continue
            case.closed = True
            if case.base is not None:
                enter(case, link, -1)
            undecide(case, link)
        elif event in STANDING_EVENTS:
            figure = "pending"
            if event == "decision_taken":
                figure = OUTCOME_FIGURE.get(record.get("outcome", ""), "pending")
            if case.closed:
                continue
            if case.base is not None and figure != case.figure:
                steps.move(cells_under(case.base, case.figure), link, -1, case.key)
                steps.move(cells_under(case.base, figure), link, 1, case.key)
            case.figure = figure
            if event == "decision_taken" and case.base != (CHILD_BAND,):
                row = day_row(record["day"])
                found["by_day"].add(row)
                target = cell(("by_day", row, "decided"))
                steps.move((target,), (link, position), 1, case.key)
                case.decided.append((target, position))
    for size in wanted:
        if size >= len(records):
            taken[size] = _figures_now(cells)
    if rows.through:
        after = dt.date.fromisoformat(rows.through) + dt.timedelta(days=1)
        steps.day_end(after.isoformat())
    return _Published(cells=cells, rows=found, snapshots=taken)


def program_figures_at(
    records: Sequence[dict[str, Any] | None], *, program: str, sizes: Collection[int]
) -> dict[int, dict[str, int]]:
    """The program figures (``figures_exact(records[:size])["figures"]``) for each of
    ``sizes``, in one pass over the records (the monitor's recount of every totals leaf)."""
    state = _published_state(records, program, b"", Rows(), Method(min_cell=1), sizes)
    return {
        size: {name: state.snapshots[size].get(name, (0, 0))[0] for name in FIGURES}
        for size in sizes
    }


def _figures_now(cells: dict[CellPath, _Anchored]) -> dict[str, tuple[int, int]]:
    return {
        name: (cell.value, cell.key % _KEY_MOD)
        for name in FIGURES
        if (cell := cells.get(("figures", name))) is not None
    }


def _published_tables(
    state: _Published, *, secret: bytes, method: Method, block: dict[str, Any] | None
) -> dict[str, Any]:
    """Every cell through ``perturb``, at its last anchor; the program figures the exact
    block names at the block's size instead (nobody before there is a block), so that they
    move when, and only when, the block does."""
    exact: dict[CellPath, tuple[int, int]] = {}
    for name in method.exact:
        at = state.snapshots.get(block["as_of_size"], {}) if block is not None else {}
        exact[("figures", name)] = at.get(name, (0, 0))
    view = _Cells(rows=state.rows)
    for path, target in state.cells.items():
        view.values[path] = list(exact.get(path, target.shown))
    for path, (value, key) in exact.items():
        view.values[path] = [value, key]

    def shown(path: CellPath, cell: list[int] | None) -> int | None:
        value, key = cell if cell else (0, 0)
        return perturb(secret=secret, path=path, cell_key=key, value=value, method=method)

    return _tables(view, shown, STATION_FIGURES)


def bulletin_sections(
    records: Sequence[dict[str, Any] | None],
    *,
    program: str,
    method: Method,
    secret: bytes,
    previous_exact: dict[str, Any] | None,
    rows: Rows,
) -> dict[str, Any]:
    """The published sections: ``method``, ``exact`` (the exact block or None) and the
    perturbed tables (every cell of every declared row, empty or not, corridor counts
    included, each at its last anchor, through ``perturb``)."""
    if previous_exact is not None and previous_exact["as_of_size"] > len(records):
        raise ValueError("the previous exact block is ahead of the records")
    sizes = (previous_exact["as_of_size"], len(records)) if previous_exact else (len(records),)
    state = _published_state(records, program, secret, rows, method, sizes)
    values = {name: state.current(name) for name in FIGURES}
    block = _advance(values, size=len(records), method=method, previous=previous_exact)
    return {
        "method": method.as_dict(),
        **({"tables_through": rows.through} if rows.through else {}),
        "exact": block,
        **_published_tables(state, secret=secret, method=method, block=block),
    }


def check_sections(
    records: Sequence[dict[str, Any] | None],
    *,
    program: str,
    method: Method,
    secret: bytes,
    published: dict[str, Any],
    previous_exact: dict[str, Any] | None = None,
) -> list[str]:
    """Every difference between ``published`` (a bulletin or its sections) and what the
    records give, naming the cell; empty when all agree.

    The exact block is recomputed over records[:as_of_size] and held to the hold rule: a
    block held below the records' size must be one the rule could not advance, and with
    the previous bulletin's block (``previous_exact``) the whole rule is checked; without
    it, the change since yesterday cannot be (the block's values and combinations are)."""
    if not isinstance(published, dict):
        return [f"the bulletin is a {type(published).__name__}, not a JSON object"]
    rows = Rows.of_bulletin(published)
    block: Any = published.get("exact")
    snapshot_at = None
    if _block_shaped(block, method) and block["as_of_size"] <= len(records):
        snapshot_at = block["as_of_size"]
    shaped = snapshot_at is not None
    sizes = () if snapshot_at is None else (snapshot_at,)
    state = _published_state(records, program, secret, rows, method, sizes)
    expected = _published_tables(
        state, secret=secret, method=method, block=block if shaped else None
    )
    problems = _check_rows(rows)
    problems += _check_through(published)
    if published.get("method") != method.as_dict():
        problems.append(f"method: published {published.get('method')}, expected {method.as_dict()}")
    for section in SECTIONS:
        _compare(problems, (section,), published.get(section), expected[section], method)
    current = {name: state.current(name) for name in FIGURES}
    at_block = state.snapshots.get(snapshot_at) if snapshot_at is not None else None
    recounted = {name: value for name, (value, _) in (at_block or {}).items()}
    problems += _check_exact(records, method, block, previous_exact, current, recounted)
    return problems


def _check_through(published: dict[str, Any]) -> list[str]:
    """``tables_through``, when there is one, is a day no later than the bulletin's."""
    through = published.get("tables_through")
    if through is None:
        return []
    try:
        dt.date.fromisoformat(str(through))
    except ValueError:
        return [f"tables_through: {through!r} is not a day"]
    day = published.get("day")
    if isinstance(day, str) and str(through) > day:
        return [f"tables_through: {through} is after the bulletin's day {day}"]
    return []


def _check_rows(rows: Rows) -> list[str]:
    """The rows every bulletin declares whoever is in them: both sexes, every adult band, and
    days that run without a gap from ``earlier`` (a row left out would say it was empty)."""
    problems = [
        f"{section}: declares {list(found)}, every bulletin declares {list(fixed)}"
        for section, found, fixed in (
            ("by_sex", rows.sex, SEXES),
            ("by_age_band", rows.age_band, ADULT_BANDS),
        )
        if not set(fixed) <= set(found)
    ]
    days = [d for d in rows.day if d not in (EARLIER, LATER)]
    if EARLIER not in rows.day:
        problems.append(f"by_day: no {EARLIER!r} row")
    try:
        dates = [dt.date.fromisoformat(d) for d in days]
    except ValueError:
        return [*problems, f"by_day: a row that is neither a day nor {EARLIER!r}/{LATER!r}"]
    gaps = [a for a, b in itertools.pairwise(sorted(dates)) if (b - a).days != 1]
    problems += [f"by_day: no row for the day after {a.isoformat()}" for a in gaps[:3]]
    return problems


def _rows_in_order(rows: dict[str, Any], key: Callable[[str], Any], inner: Sequence[str]) -> Any:
    return {name: _cells_in_order(rows[name], inner) for name in sorted(rows, key=key)}


def _cells_in_order(row: Any, inner: Sequence[str]) -> Any:
    if not isinstance(row, dict):
        return row
    return {name: row[name] for name in sorted(row, key=lambda n: _place(inner, n))}


def _place(order: Sequence[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


def bulletin_in_order(bulletin: dict[str, Any]) -> dict[str, Any]:
    """The bulletin with its rows and cells in reading order (a database that stores JSON as
    jsonb keeps no key order): stations by code, the fixed sexes and bands in their order,
    days from ``earlier`` to ``later``, each row's figures in FIGURES order. The same
    content: only the order of keys changes."""
    out = dict(bulletin)
    for section in ("figures", "children"):
        out[section] = _cells_in_order(bulletin.get(section), FIGURES)
    orders: dict[str, tuple[Callable[[str], Any], Sequence[str]]] = {
        "by_station": (str, FIGURES),
        "by_sex": (lambda n: _place(SEXES, n), FIGURES),
        "by_age_band": (lambda n: _place(ADULT_BANDS, n), FIGURES),
        "by_day": (_day_order, DAY_FIGURES),
        "corridor": (_day_order, ()),
        "departures": (_departure_order, DEPARTURE_FIGURES),
    }
    for section, (key, inner) in orders.items():
        if isinstance(bulletin.get(section), dict):
            out[section] = _rows_in_order(bulletin[section], key, inner)
    return out


def _shown(value: Any, method: Method) -> str:
    return f"< {method.min_cell}" if value is None else str(value)


def _compare(
    problems: list[str], where: CellPath, published: Any, expected: Any, method: Method
) -> None:
    name = ".".join(where)
    if isinstance(expected, dict):
        if not isinstance(published, dict):
            problems.append(f"{name}: missing from the bulletin")
            return
        for part, value in expected.items():
            if part not in published:
                problems.append(f"{name}.{part}: missing from the bulletin")
            else:
                _compare(problems, (*where, part), published[part], value, method)
        for part in sorted(published.keys() - expected.keys()):
            problems.append(f"{name}.{part}: published, but the records have no such cell")
    elif published != expected or isinstance(published, bool):
        problems.append(
            f"{name}: published {_shown(published, method)}, "
            f"the records give {_shown(expected, method)}"
        )


def _check_exact(
    records: Sequence[dict[str, Any] | None],
    method: Method,
    block: Any,
    previous: dict[str, Any] | None,
    current: dict[str, int],
    at_block: dict[str, int],
) -> list[str]:
    """``current``: the program figures over all the records; ``at_block``: over the first
    ``as_of_size`` of them (a figure nobody is in left out)."""
    size = len(records)
    if block is not None and (not _block_shaped(block, method) or block["as_of_size"] > size):
        return [f"exact: {block} is not a block of {list(method.exact)} within {size} records"]
    if block is not None and (problems := _recount_exact(block, at_block)):
        return problems
    if previous is not None:
        if previous["as_of_size"] > size:
            return [f"exact: the previous block {previous} is ahead of the records"]
        expected = _advance(current, size=size, method=method, previous=previous)
        if block != expected:
            return [f"exact: published {block}, the hold rule gives {expected}"]
        return []
    if block is None:
        expected = _advance(current, size=size, method=method, previous=None)
        return [] if expected is None else [f"exact: none published, the records give {expected}"]
    if not hold_rule_allows(block["figures"], None, method=method):
        return [f"exact: {block['figures']} is a block the hold rule forbids"]
    if (
        block["as_of_size"] < size
        and _advance(current, size=size, method=method, previous=block) != block
    ):
        return [
            f"exact: held at size {block['as_of_size']}, "
            f"but the hold rule lets it advance to {size}"
        ]
    return []


def _recount_exact(block: dict[str, Any], at_block: dict[str, int]) -> list[str]:
    """The block's figures against the records up to its size."""
    size = block["as_of_size"]
    return [
        f"exact.{name}: published {shown}, the records give {at_block.get(name, 0)} "
        f"as of size {size}"
        for name, shown in block["figures"].items()
        if shown != at_block.get(name, 0) or isinstance(shown, bool)
    ]


def _block_shaped(block: Any, method: Method) -> bool:
    return (
        isinstance(block, dict)
        and isinstance(block.get("as_of_size"), int)
        and isinstance(block.get("figures"), dict)
        and set(block["figures"]) == set(method.exact)
    )
