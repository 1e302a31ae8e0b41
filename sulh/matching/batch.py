"""Batch matching: the whole registry (dedup) or a registry against a list (screen).

Reading is forgiving row by row: a malformed row is reported with its number and
the rest of the run goes on.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sulh.matching.index import MAX_BLOCK, MatchIndex, blocking_keys
from sulh.matching.normalize import clean, script_of
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats, compare

DEDUP_THRESHOLD = 0.5
SCREEN_THRESHOLD = 0.5
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
    text: str, *, extra: Sequence[str] = ()
) -> tuple[list[PersonRecord], list[RowRejection]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InputError("the file is empty: a header row is required")
    header = [h.strip().lstrip("\ufeff") for h in header]
    if "record_id" not in header:
        raise InputError(f"the header must name record_id and {', '.join(COLUMNS[1:])}")
    records: list[PersonRecord] = []
    rejections: list[RowRejection] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
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
        problem = _row_problem(values, seen)
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


def _row_problem(values: dict[str, str], seen: set[str]) -> tuple[str, str] | None:
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
    return None


def read_people_csv(path: str | Path) -> tuple[list[PersonRecord], list[RowRejection]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    return parse_people(text)


def dedup(
    records: Iterable[PersonRecord],
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
) -> dict[str, str]:
    """record_id → cluster_id for every record; records over the threshold share a cluster."""
    records = list(records)
    threshold = DEDUP_THRESHOLD if threshold is None else threshold
    stats = NameStats.from_records(records)
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = _candidate_pairs(records)
    for done, (i, j) in enumerate(pairs, start=1):
        if find(i) != find(j) and compare(records[i], records[j], stats=stats).score >= threshold:
            parent[find(i)] = find(j)
        if progress and done % 5000 == 0:
            progress(done, len(pairs))
    if progress:
        progress(len(pairs), len(pairs))
    clusters: dict[int, str] = {}
    out = {}
    for i, record in enumerate(records):
        root = find(i)
        clusters.setdefault(root, record.record_id)
        out[record.record_id] = clusters[root]
    return out


def _candidate_pairs(records: list[PersonRecord]) -> list[tuple[int, int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(i)
    pairs: set[int] = set()
    size = len(records)
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    pairs.add(members[x] * size + members[y])
    return [(p // size, p % size) for p in sorted(pairs)]


def screen(
    list_records: Iterable[PersonRecord],
    records: Iterable[PersonRecord],
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
) -> list[Hit]:
    """Every registrant against the list: hits at or above the threshold, best first per record."""
    threshold = SCREEN_THRESHOLD if threshold is None else threshold
    entries = list(list_records)
    index = MatchIndex(stats=NameStats.from_records(entries))
    index.extend(entries)
    records = list(records)
    hits: list[Hit] = []
    for done, record in enumerate(records, start=1):
        for candidate in index.query(
            record, threshold=threshold, exclude_self=False, screening=True
        ):
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
