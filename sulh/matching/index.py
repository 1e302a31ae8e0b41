"""Candidate generation (blocking) and an in-memory index for online matching.

Each record gets several blocking keys built from cross-script name skeletons,
the birth year and the national number, so that one misspelt or missing field
does not hide a match. With an HMAC key the stored keys are keyed hashes: they
link records without revealing any name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from sulh.matching.normalize import name_skeletons
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult, NameStats, _parse_birth, compare
from sulh.matching.versions import CURRENT, ModelVersion

MAX_BLOCK = 120  # a key shared by more records than this is too common to compare on alone


def _skeletons(text: str) -> list[str]:
    # A final h is dropped: Latin -eh/-ih/-ah is read as a ta marbuta (no h) and Arabic
    # keeps a final ح (Salih: sl, الصالح: slh), so a key would split one name in two.
    return [s[:-1] if len(s) > 1 and s[-1] == "h" else s for s in name_skeletons(text) if s]


def _first(text: str) -> str:
    found = _skeletons(text)
    return found[0] if found else ""


def _year(birth_date: str) -> str:
    return birth_date[:4] if birth_date[:4].isdigit() else ""


def plain_keys(record: PersonRecord) -> set[str]:
    keys: set[str] = set()
    digits = "".join(ch for ch in record.national_id if ch.isdigit())
    if len(digits) >= 6:
        keys.add(f"n:{digits}")
    year = _year(record.birth_date)
    names = [record.full_name, *record.aliases] if not record.has_parts() else []
    if record.has_parts():
        given, father, family = (
            _first(p) for p in (record.given_name, record.father_name, record.family_name)
        )
        # The last token of a family name carries it ("abd" of عبد الرزاق is not the name).
        family_all = _skeletons(record.family_name)
        family = family_all[-1] if family_all else family
        parts = [p for p in (given, family) if p]
        if len(parts) == 2:
            pair = "|".join(sorted(parts))
            keys.add(f"p:{pair}")
            if year:
                keys.add(f"y:{pair}|{year}")
            # Where thousands share a name (the keys of names alone, or with the year, pass
            # MAX_BLOCK), the names with the whole birth date still block: day and month
            # in either order, as clerks swap them.
            born = _parse_birth(record.birth_date)
            if born is not None and born[1] is not None and born[2] is not None:
                year_, month, day = born[0], born[1], born[2]
                keys.add(f"d:{pair}|{year_}|{min(month, day)}|{max(month, day)}")
        if given and father and family:
            triple = "|".join(sorted((given, father, family)))
            keys.add(f"t:{triple}")
            if year:
                keys.add(f"f:{triple}|{year}")
        mother = _first(record.mother_name)
        if given and mother:
            keys.add(f"m:{given}|{mother}|{family or father}")
            if year:
                keys.add(f"g:{given}|{mother}|{family or father}|{year}")
        names = list(record.aliases)
    for name in names:
        found = _skeletons(name)[:5]
        for a, b in combinations(found, 2):
            keys.add("p:" + "|".join(sorted((a, b))))
        for a, b, c in combinations(found[:4], 3):
            keys.add("t:" + "|".join(sorted((a, b, c))))
        if year:
            keys.update(
                "y:" + "|".join(sorted(pair)) + f"|{year}" for pair in combinations(found, 2)
            )
    return keys


def keyed(plain: str, key: bytes | None) -> str:
    """One blocking key as stored: keyed (HMAC-SHA256, 128 bits) when ``key`` is given."""
    if key is None:
        return plain
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()[:32]


def blocking_keys(record: PersonRecord, *, key: bytes | None = None) -> set[str]:
    """The record's blocking keys; keyed (HMAC-SHA256, 128 bits) when ``key`` is given."""
    keys = plain_keys(record)
    if key is None:
        return keys
    return {hmac.new(key, k.encode(), hashlib.sha256).hexdigest()[:32] for k in keys}


# The blocking keys that name a whole name combination, most specific first: given,
# father's and family names (or three words of a full name), then given and family names.
COMBINATION_KINDS = ("t:", "p:")


def name_combinations(record: PersonRecord, *, key: bytes | None = None) -> dict[str, int]:
    """The record's name-combination keys (keyed when ``key`` is given), each with its
    specificity: 0 for three names, 1 for two."""
    found: dict[str, int] = {}
    for plain in plain_keys(record):
        kind = plain[:2]
        if kind in COMBINATION_KINDS:
            found[keyed(plain, key)] = COMBINATION_KINDS.index(kind)
    return found


def combination_counts(records: Iterable[PersonRecord]) -> Counter[str]:
    """How many registrants hold each name combination (``name_combinations``, not keyed):
    records of one registrant (one record id, e.g. a case in both scripts) count once."""
    counts: Counter[str] = Counter()
    last: dict[str, str] = {}
    for record in records:
        for combination in name_combinations(record):
            if last.get(combination) != record.record_id:
                last[combination] = record.record_id
                counts[combination] += 1
    return counts


def namesakes(
    shared: Iterable[tuple[str, int]],
    registrants: Mapping[str, int],
    entries: Mapping[str, int],
) -> tuple[int, int, int] | None:
    """Of the name combinations a registrant and an entry share (key, specificity), the
    most specific one (three names before two; then the one fewest registrants hold): how
    many registrants and how many entries hold it, and its specificity. None when they
    share none."""
    best: tuple[int, int, int] | None = None
    for key, rank in shared:
        found = (rank, max(registrants.get(key, 1), 1), max(entries.get(key, 1), 1))
        if best is None or found < best:
            best = found
    return None if best is None else (best[1], best[2], best[0])


@dataclass(frozen=True)
class Candidate:
    record_id: str
    result: MatchResult


class MatchIndex:
    """Records by blocking key, for answering 'who might this be?' in milliseconds."""

    def __init__(
        self,
        *,
        key: bytes | None = None,
        stats: NameStats | None = None,
        model: ModelVersion = CURRENT,
    ) -> None:
        self.key = key
        self.stats = stats or NameStats()
        self.model = model
        self.records: dict[str, PersonRecord] = {}
        self.blocks: dict[str, list[str]] = defaultdict(list)

    def add(self, record: PersonRecord) -> None:
        self.records[record.record_id] = record
        for block in blocking_keys(record, key=self.key):
            self.blocks[block].append(record.record_id)

    def extend(self, records: Iterable[PersonRecord]) -> None:
        for record in records:
            self.add(record)

    def candidate_ids(self, record: PersonRecord, *, exclude_self: bool = True) -> set[str]:
        found: set[str] = set()
        for block in blocking_keys(record, key=self.key):
            members = self.blocks.get(block, ())
            if len(members) <= MAX_BLOCK:
                found.update(members)
        if exclude_self:
            found.discard(record.record_id)
        return found

    def query(
        self,
        record: PersonRecord,
        *,
        threshold: float,
        limit: int = 20,
        exclude_self: bool = True,
        screening: bool = False,
        registry_counts: Mapping[str, int] | None = None,
    ) -> list[Candidate]:
        """The candidates scoring ``threshold`` or more, best first. ``registry_counts``
        (screening, with ``combination_counts`` of the registry at hand): each pair's
        shared name combination is weighed by how many registrants and entries hold it."""
        scored = []
        shared = (
            self._shared_combinations(record)
            if screening and registry_counts is not None and self.model.namesakes
            else None
        )
        for record_id in self.candidate_ids(record, exclude_self=exclude_self):
            found = None
            if shared is not None and registry_counts is not None:
                found = namesakes(
                    shared.get(record_id, ()),
                    registry_counts,
                    {k: len(self.blocks.get(k, ())) for k, _ in shared.get(record_id, ())},
                )
            result = compare(
                record,
                self.records[record_id],
                stats=self.stats,
                screening=screening,
                model=self.model,
                namesakes=found,
            )
            if result.score >= threshold:
                scored.append(Candidate(record_id=record_id, result=result))
        scored.sort(key=lambda c: (-c.result.score, c.record_id))
        return scored[:limit]

    def _shared_combinations(self, record: PersonRecord) -> dict[str, list[tuple[str, int]]]:
        """For each indexed record, the name combinations it shares with ``record``."""
        shared: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for combination, rank in name_combinations(record, key=self.key).items():
            for member in self.blocks.get(combination, ()):
                shared[member].append((combination, rank))
        return shared
