"""Batch matching: the whole registry (dedup) or a registry against a list (screen).

Reading is forgiving row by row: a malformed row is reported with its number and
the rest of the run goes on.
"""

from __future__ import annotations

import csv
import gc
import io
import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from sulh.matching.cluster import coherent_clusters, link_threshold
from sulh.matching.index import MAX_BLOCK, MatchIndex, blocking_keys, combination_counts
from sulh.matching.normalize import ascii_digits, clean, script_of
from sulh.matching.record import PersonRecord
from sulh.matching.score import (
    NameStats,
    _digits,
    _parse_birth,
    best_gain,
    compare_reaching,
    log_odds,
    needed_weight,
)
from sulh.matching.versions import CURRENT, ModelVersion

DEDUP_THRESHOLD = CURRENT.dedup_threshold
SCREEN_THRESHOLD = CURRENT.screen_threshold
COLUMNS = (
    "record_id",
    "given_name",
    "father_name",
    "family_name",
    "mother_name",
    "full_name",
    "birth_date",
    "birth_place",
    "national_id",
)
FIELD_MAX = 200
Progress = Callable[[int, int], None]


class InputError(Exception):
    """The input as a whole cannot be used (missing file, no header, not CSV)."""


@dataclass(frozen=True)
class RowRejection:
    row_number: int  # 1 = the header; data starts at 2
    field: str
    message: str


@dataclass(frozen=True)
class Hit:
    record_id: str
    list_id: str
    score: float
    evidence: str


def _check_value(column: str, value: str) -> str | None:
    if len(value) > FIELD_MAX:
        return f"longer than {FIELD_MAX} characters"
    if column.endswith("_name") and script_of(value) == "mixed":
        return "mixes Arabic and Latin script in one field"
    if column == "birth_date" and value and not _birth_ok(value):
        return "must be YYYY-MM-DD or YYYY"
    return None


def _birth_ok(value: str) -> bool:
    import datetime as dt

    if len(value) == 4 and value.isdigit():
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def parse_people(
    text: str, *, extra: Sequence[str] = (), one_part_ok: bool = False
) -> tuple[list[PersonRecord], list[RowRejection]]:
    """Records from CSV text, and a rejection (row number, field, why) for each bad row. A
    registrant needs two name parts, as at intake; a list entry (``one_part_ok``) may have
    one, since lists name some people by one name alone."""
    # newline="": the reader itself takes \r, \n and \r\n as row ends, also a lone \r.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"the header row cannot be read as CSV ({exc})") from None
    if not header:
        raise InputError("the file is empty: a header row is required")
    header = [h.strip().lstrip("\ufeff") for h in header]
    if "record_id" not in header:
        raise InputError(f"the header must name record_id and {', '.join(COLUMNS[1:])}")
    records: list[PersonRecord] = []
    rejections: list[RowRejection] = []
    seen: set[str] = set()
    for number, row in enumerate(_rows(reader, rejections), start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            rejections.append(
                RowRejection(
                    number, "(row)", f"has {len(row)} columns, the header has {len(header)}"
                )
            )
            continue
        values = {h: clean(v) for h, v in zip(header, row, strict=True)}
        for column in ("birth_date", "national_id"):
            if column in values:
                values[column] = ascii_digits(values[column])
        problem = _row_problem(values, seen, one_part_ok=one_part_ok)
        if problem:
            rejections.append(RowRejection(number, *problem))
            continue
        seen.add(values["record_id"])
        aliases = (
            tuple(a for a in values.get("aliases", "").split("|") if a)
            if "aliases" in header
            else ()
        )
        records.append(PersonRecord(**{c: values.get(c, "") for c in COLUMNS}, aliases=aliases))
    return records, rejections


def _rows(reader: Iterator[list[str]], rejections: list[RowRejection]) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module cannot read (a field over its limit) is
    reported with its number and yielded empty, so the numbering and the rest go on."""
    number = 1
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            rejections.append(RowRejection(number, "(row)", f"cannot be read as CSV ({exc})"))
            row = []
        yield row


def _row_problem(
    values: dict[str, str], seen: set[str], *, one_part_ok: bool
) -> tuple[str, str] | None:
    record_id = values.get("record_id", "")
    if not record_id:
        return "record_id", "is empty"
    if record_id in seen:
        return "record_id", f"{record_id!r} appears twice"
    for column in COLUMNS[1:]:
        message = _check_value(column, values.get(column, ""))
        if message:
            return column, message
    if not any(values.get(c) for c in ("given_name", "father_name", "family_name", "full_name")):
        return "given_name", "no name at all (given, father, family or full name)"
    parts = sum(bool(values.get(c)) for c in ("given_name", "father_name", "family_name"))
    if not one_part_ok and parts + len(values.get("full_name", "").split()) < 2:
        field = "full_name" if values.get("full_name") else "family_name"
        return field, (
            "only one name part: add the father's or family name (or a full name of two "
            "words or more), as at intake, so namesakes can be told apart"
        )
    return None


def read_people_csv(
    path: str | Path, *, one_part_ok: bool = False
) -> tuple[list[PersonRecord], list[RowRejection]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    return parse_people(text, one_part_ok=one_part_ok)


def dedup(
    records: Iterable[PersonRecord],
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    model: ModelVersion = CURRENT,
    held_apart: list[list[str]] | None = None,
) -> dict[str, str]:
    """record_id → cluster_id for every record; a cluster is named after its first record
    in input order.

    Pairs scoring at or above the threshold are links. With a model whose ``clustering``
    is "components" (2026.12b and before) the clusters are the connected components of
    the links. With "average" (2026.12c) a linked group is split by average linkage on
    every pair's log2 odds (``cluster.py``), so that a record linked to one member of a
    cluster joins it only when it agrees with the cluster as a whole; each group held
    apart in more than one cluster is appended to ``held_apart`` (its record ids). The
    result does not depend on ``workers`` (processes comparing pairs; default: the
    usable cores) nor on the order pairs are compared in. ``model``: the version that
    weighs (its dedup threshold unless ``threshold`` is given).
    """
    collecting = gc.isenabled()
    gc.disable()  # millions of long-lived small objects: the cyclic collector only rescans them
    try:
        return _dedup(list(records), threshold, progress, workers, model, held_apart)
    finally:
        if collecting:
            gc.enable()


def _dedup(
    records: list[PersonRecord],
    threshold: float | None,
    progress: Progress | None,
    workers: int | None,
    model: ModelVersion,
    held_apart: list[list[str]] | None = None,
) -> dict[str, str]:
    threshold = model.dedup_threshold if threshold is None else threshold
    cut = 0.0
    if model.clustering == "average":
        threshold, cut = link_threshold(threshold, model.cluster_offset)
    stats = NameStats.from_records(records)
    workers = _workers(workers, len(records))
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if workers == 1:
        codes = _candidate_codes(records, map(blocking_keys, records))
        left, right, known = _surviving_pairs(records, codes, threshold, model)
        del codes
        total = len(left)
        pairs = zip(left.tolist(), right.tolist(), known.tolist(), strict=True)
        for done, (i, j, weight) in enumerate(pairs, start=1):
            # a pair already in one cluster cannot change the clusters: skip its comparison
            if find(i) != find(j) and _matches(
                records[i], records[j], weight, stats, threshold, model
            ):
                parent[find(i)] = find(j)
            if progress and done % 5000 == 0:
                progress(done, total)
    else:
        total = 0
        for done, total, matched in _in_pool(records, stats, threshold, workers, model):
            for i, j in matched:
                root_i, root_j = find(i), find(j)
                if root_i != root_j:
                    parent[root_i] = root_j
            if progress:
                progress(done, total)
    if progress:
        progress(total, total)
    if model.clustering == "average":
        _split_by_average_linkage(records, find, parent, stats, model, cut, held_apart)
    clusters: dict[int, str] = {}
    out = {}
    for i, record in enumerate(records):
        root = find(i)
        clusters.setdefault(root, record.record_id)
        out[record.record_id] = clusters[root]
    return out


def _split_by_average_linkage(
    records: list[PersonRecord],
    find: Callable[[int], int],
    parent: list[int],
    stats: NameStats,
    model: ModelVersion,
    cut: float,
    held_apart: list[list[str]] | None,
) -> None:
    """Each linked group (the union-find's component) replaced in ``parent`` by its
    average-linkage clusters."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(records)):
        groups[find(i)].append(i)
    linked = [members for members in groups.values() if len(members) > 1]
    linked.sort(key=lambda members: members[0])

    def weigh(i: int, j: int) -> float:
        return log_odds(records[i], records[j], stats=stats, model=model)

    for group, parts in zip(
        linked,
        coherent_clusters(linked, weigh, cut=cut, cannot_link=model.cannot_link),
        strict=True,
    ):
        if len(parts) > 1 and held_apart is not None:
            held_apart.append([records[i].record_id for i in group])
        for part in parts:
            for i in part:
                parent[i] = part[0]


def _workers(workers: int | None, records: int) -> int:
    """Processes: as asked, else the usable cores (one for a small registry)."""
    if "fork" not in mp.get_all_start_methods():
        return 1  # the workers inherit the records by fork; elsewhere one process
    if workers is None:
        if records < 20_000:
            return 1
        try:
            workers = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            workers = os.cpu_count() or 1
    return max(1, workers)


def _candidate_codes(
    records: list[PersonRecord], keys: Iterable[Iterable[str]] | None = None
) -> np.ndarray:
    """Every pair sharing a blocking key (in a block of at most MAX_BLOCK), once:
    sorted int64 codes ``i * n + j`` with ``i < j``. ``keys``: each record's blocking
    keys, in record order (computed here when not given)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, record_keys in enumerate(map(blocking_keys, records) if keys is None else keys):
        for key in record_keys:
            blocks[key].append(i)
    by_size: dict[int, list[list[int]]] = defaultdict(list)
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            by_size[len(members)].append(members)
    del blocks
    size = len(records)
    parts = []
    for length, groups in by_size.items():
        x, y = np.triu_indices(length, 1)
        for start in range(0, len(groups), 4096):
            rows = np.array(groups[start : start + 4096], dtype=np.int64)
            # members are in ascending record order, so rows[:, x] < rows[:, y]
            parts.append(np.unique((rows[:, x] * size + rows[:, y]).ravel()))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(parts))


# The most any pair can gain from its names, mother's name and birth place (log2 units,
# the current model's maximum gains; each run reads its own model's).
_MAX_NAMES_MOTHER_PLACE = CURRENT.names_mother_place_max_gain
_NID_DIGITS = 18  # longer national numbers are not pre-filtered (int64 holds 18 digits)


def _birth_parts(records: list[PersonRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    year = np.zeros(len(records), dtype=np.int32)  # 0: no usable date
    month = np.zeros(len(records), dtype=np.int16)  # 0: year only
    day = np.zeros(len(records), dtype=np.int16)
    for i, record in enumerate(records):
        parsed = _parse_birth(record.birth_date)
        if parsed is not None:
            year[i] = parsed[0]
            if parsed[1] is not None and parsed[2] is not None:
                month[i], day[i] = parsed[1], parsed[2]
    return year, month, day


def _nid_parts(records: list[PersonRecord]) -> tuple[np.ndarray, np.ndarray]:
    value = np.zeros(len(records), dtype=np.int64)
    length = np.zeros(len(records), dtype=np.int8)  # 0: none; -1: not pre-filtered
    for i, record in enumerate(records):
        digits = _digits(record.national_id)
        if not digits:
            continue
        if len(digits) > _NID_DIGITS or not digits.isascii():
            length[i] = -1
        else:
            value[i], length[i] = int(digits), len(digits)
    return value, length


def _surviving_pairs(
    records: list[PersonRecord],
    codes: np.ndarray,
    threshold: float,
    model: ModelVersion = CURRENT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate pairs whose score could reach the threshold, as (left, right) indices,
    with each pair's birth-date and national-number weight (at least that of ``compare``).

    A pair is dropped only when even the best names, mother's name and place the model
    can give cannot lift its exact birth-date and national-number evidence over the
    threshold, so the clusters are those of comparing every candidate pair.
    """
    size = max(len(records), 1)
    lefts, rights, weights = [], [], []
    needed = needed_weight(threshold)
    year, month, day = _birth_parts(records)
    nid, nid_len = _nid_parts(records)
    for start in range(0, len(codes), 2_000_000):
        chunk = codes[start : start + 2_000_000]
        i, j = chunk // size, chunk % size
        known = _birth_weight(year[i], month[i], day[i], year[j], month[j], day[j], model)
        known += _nid_weight_bound(nid[i], nid_len[i], nid[j], nid_len[j], model)
        keep = model.prior + model.names_mother_place_max_gain + known >= needed
        lefts.append(i[keep])
        rights.append(j[keep])
        weights.append(known[keep].astype(np.float32))
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(weights)


def _birth_weight(
    ya: np.ndarray,
    ma: np.ndarray,
    da: np.ndarray,
    yb: np.ndarray,
    mb: np.ndarray,
    db: np.ndarray,
    model: ModelVersion = CURRENT,
) -> np.ndarray:
    """score.birth_feature's weight (dedup: not lenient), pair by pair."""
    w = model.birth
    gap = np.abs(ya - yb)
    same_year = gap == 0
    year_only = np.where(
        same_year,
        w.year_only_same_year,
        np.where(gap == 1, w.year_only_year_apart, w.year_only_years_apart),
    )
    same_md = (ma == mb) & (da == db)
    full = np.select(
        [
            same_year & same_md,
            same_year & (ma == db) & (da == mb),
            same_md & (gap == 1),
            same_year & ((ma == mb) | (da == db)),
            same_year,
        ],
        [
            w.same_date,
            w.day_month_swapped,
            w.same_day_month_year_apart,
            w.same_year_one_part_differs,
            w.same_year_different_day,
        ],
        default=w.different_dates,
    )
    weight = np.where((ma == 0) | (mb == 0), year_only, full)
    return np.where((ya == 0) | (yb == 0), 0.0, weight)


def _nid_weight_bound(
    a: np.ndarray, la: np.ndarray, b: np.ndarray, lb: np.ndarray, model: ModelVersion = CURRENT
) -> np.ndarray:
    """At least score.national_id_feature's weight: exact but for two differing digits,
    which count as the most one or two differing digits can be worth, wherever they are."""
    w = model.national_id
    differing = np.zeros(len(a), dtype=np.int8)
    x, y = a.copy(), b.copy()
    for _ in range(_NID_DIGITS):
        differing += (x % 10) != (y % 10)
        x //= 10
        y //= 10
    same_length = la == lb
    weight = np.where(
        same_length & (a == b),
        w.same,
        np.where(same_length & (differing <= 2), w.near, w.different),
    )
    weight = np.where((la < 0) | (lb < 0), w.max_gain, weight)
    return np.where((la == 0) | (lb == 0), 0.0, weight)


def _matches(
    a: PersonRecord,
    b: PersonRecord,
    known: float,
    stats: NameStats,
    threshold: float,
    model: ModelVersion,
) -> bool:
    """compare's verdict; ``known``: the pair's birth-date and national-number weight (at
    least compare's). Most candidate pairs are ruled out by the cheaper bound first."""
    if model.prior + known + best_gain(a, b, stats=stats, model=model) < needed_weight(threshold):
        return False
    return compare_reaching(a, b, threshold=threshold, stats=stats, model=model) is not None


_POOL_STATE: dict[str, object] = {}


def _keys_chunk(bounds: tuple[int, int]) -> list[list[str]]:
    records = cast(list[PersonRecord], _POOL_STATE["records"])
    return [list(blocking_keys(record)) for record in records[bounds[0] : bounds[1]]]


def _compare_chunk(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[int, list[tuple[int, int]]]:
    records = cast(list[PersonRecord], _POOL_STATE["records"])
    stats = cast(NameStats, _POOL_STATE["stats"])
    threshold = cast(float, _POOL_STATE["threshold"])
    model = cast(ModelVersion, _POOL_STATE["model"])
    left, right, known = pairs
    matched = [
        (i, j)
        for i, j, weight in zip(left.tolist(), right.tolist(), known.tolist(), strict=True)
        if _matches(records[i], records[j], weight, stats, threshold, model)
    ]
    return len(left), matched


def _in_pool(
    records: list[PersonRecord],
    stats: NameStats,
    threshold: float,
    workers: int,
    model: ModelVersion,
) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
    """Blocking keys, then comparisons, in forked workers that inherit the records:
    (pairs done so far, pairs to compare, matched pairs of one chunk), in any order."""
    _POOL_STATE.update(records=records, stats=stats, threshold=threshold, model=model)
    gc.freeze()  # the workers share the records' pages instead of copying them
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            step = 5000
            ranges = [(s, min(s + step, len(records))) for s in range(0, len(records), step)]
            keys = (k for chunk in pool.imap(_keys_chunk, ranges) for k in chunk)
            codes = _candidate_codes(records, keys)
            left, right, known = _surviving_pairs(records, codes, threshold, model)
            del codes
            total, done = len(left), 0
            tasks = (
                (left[s : s + step], right[s : s + step], known[s : s + step])
                for s in range(0, total, step)
            )
            for count, matched in pool.imap_unordered(_compare_chunk, tasks):
                done += count
                yield done, total, matched
    finally:
        gc.unfreeze()
        _POOL_STATE.clear()


def _candidate_pairs(records: list[PersonRecord]) -> list[tuple[int, int]]:
    """Every candidate pair (i < j), in order: for peers that score Sulh's candidates."""
    codes = _candidate_codes(records)
    size = max(len(records), 1)
    return list(zip((codes // size).tolist(), (codes % size).tolist(), strict=True))


def screen(
    list_records: Iterable[PersonRecord],
    records: Iterable[PersonRecord],
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
    model: ModelVersion = CURRENT,
) -> list[Hit]:
    """Every registrant against the list: hits at or above the threshold, best first per record."""
    threshold = model.screen_threshold if threshold is None else threshold
    entries = list(list_records)
    index = MatchIndex(stats=NameStats.from_records(entries), model=model)
    index.extend(entries)
    records = list(records)
    # how many registrants at hand hold each name combination (2026.12d weighs it)
    counts = combination_counts(records) if model.namesakes is not None else None
    hits: list[Hit] = []
    for done, record in enumerate(records, start=1):
        for candidate in index.query(
            record, threshold=threshold, exclude_self=False, screening=True,
            registry_counts=counts,
        ):  # fmt: skip
            hits.append(
                Hit(
                    record.record_id,
                    candidate.record_id,
                    candidate.result.score,
                    candidate.result.explain(),
                )
            )
        if progress and (done % 500 == 0 or done == len(records)):
            progress(done, len(records))
    return hits


@dataclass(frozen=True)
class AlertRate:
    """How many registrants of the registry at hand a list raises alerts on, at a threshold."""

    threshold: float
    registrants: int
    alerted: int  # registrants with at least one alert
    alerts: int
    model: str

    @property
    def share(self) -> float:
        return self.alerted / self.registrants if self.registrants else 0.0

    def line(self) -> str:
        per_1000 = 1000 * self.alerts / self.registrants if self.registrants else 0.0
        return (
            f"expected alerts at threshold {self.threshold:.2f} ({self.model}): "
            f"{self.alerted:,} of {self.registrants:,} registrants ({100 * self.share:.1f} %), "
            f"{self.alerts:,} alerts ({per_1000:.1f} per 1,000 registrants)"
        )


def alert_rate(
    hits: Iterable[Hit],
    registrants: int,
    *,
    threshold: float,
    model: ModelVersion = CURRENT,
    person_of: Callable[[str], str] | None = None,
) -> AlertRate:
    """``hits`` counted at ``threshold``: registrants alerted and alerts. ``person_of``
    names the registrant of a record id (a case held as two records, one per script, is
    one registrant; its alerts on one entry count once)."""
    person = person_of or (lambda record_id: record_id)
    alerts = {(person(h.record_id), h.list_id) for h in hits if h.score >= threshold}
    return AlertRate(
        threshold=threshold,
        registrants=registrants,
        alerted=len({p for p, _ in alerts}),
        alerts=len(alerts),
        model=model.name,
    )


def expected_alert_rate(
    list_records: Iterable[PersonRecord],
    records: Sequence[PersonRecord],
    *,
    threshold: float | None = None,
    model: ModelVersion = CURRENT,
    person_of: Callable[[str], str] | None = None,
    progress: Progress | None = None,
) -> AlertRate:
    """The alerts a list would raise on the registry at hand at ``threshold`` (the model's
    screening threshold by default), before it is imported: the registry screened against
    it as ``screen`` does, nothing stored. ``person_of`` as in ``alert_rate``."""
    threshold = model.screen_threshold if threshold is None else threshold
    hits = screen(list_records, records, threshold=threshold, model=model, progress=progress)
    people = len({(person_of or (lambda r: r))(r.record_id) for r in records})
    return alert_rate(hits, people, threshold=threshold, model=model, person_of=person_of)
