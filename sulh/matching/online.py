"""The online check of one registrant: the registered people and the active lists' entries
that share a keyed blocking key with them, compared, over their thresholds.

Both look-ups go through the key tables (``MatchKey``, ``ListKey``) and their covering
indexes, not an in-memory index; each table is keyed under its own key, so the person's
keys are made twice, in memory. Nothing here moves a case: the caller (cases) stores the
candidates and opens review.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from django.db import connection

from sulh.matching.index import MAX_BLOCK, keyed, name_combinations, namesakes
from sulh.matching.models import ListKey, MatchKey, ScreeningList
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult, compare, compare_reaching
from sulh.matching.stored import (
    list_entry_records,
    list_matching_key,
    list_record_keys,
    matching_key,
    record_keys,
    registered_records,
)
from sulh.matching.versions import CURRENT

DUPLICATE_THRESHOLD = CURRENT.dedup_threshold
LIST_THRESHOLD = CURRENT.screen_threshold
MAX_CANDIDATE_CASES = 200  # registered cases compared with one intake, at most
MAX_LIST_HITS = 20  # per list and record, best first


@dataclasses.dataclass(frozen=True)
class OnlineCheck:
    duplicates: list[tuple[int, MatchResult]]  # (case id, result) over the threshold
    list_hits: list[tuple[int, MatchResult]]  # (list entry id, result) over the threshold


def registrant_screen(*, case_id: int, records: Sequence[PersonRecord]) -> OnlineCheck:
    """The online check of a registrant being registered as case ``case_id``, inside the
    intake transaction: with its keys locked, the registered cases (but itself) and the
    active lists' entries over their thresholds; its keyed blocking keys are stored."""
    keys = record_keys(records)
    _lock_keys(keys)
    duplicates = duplicate_matches(records, keys=keys, exclude=case_id)
    MatchKey.objects.bulk_create(
        [MatchKey(case_id=case_id, key=k) for k in keys], ignore_conflicts=True
    )
    lists = list(ScreeningList.objects.filter(active=True))
    return OnlineCheck(
        duplicates=duplicates, list_hits=list_matches(records, lists=lists, registered=True)
    )


def online_check(
    records: Sequence[PersonRecord], *, keys: set[str], exclude: int | None = None
) -> OnlineCheck:
    """What ``registrant_screen`` finds for one person, without storing or locking
    anything: the registered cases and the active lists' entries over their thresholds."""
    lists = list(ScreeningList.objects.filter(active=True))
    return OnlineCheck(
        duplicates=duplicate_matches(records, keys=keys, exclude=exclude),
        list_hits=list_matches(records, lists=lists, registered=exclude is not None),
    )


def best_match(left: list[PersonRecord], right: list[PersonRecord]) -> MatchResult | None:
    results = [compare(a, b) for a in left for b in right]
    return max(results, key=lambda r: r.score) if results else None


def duplicate_matches(
    records: Sequence[PersonRecord], *, keys: set[str], exclude: int | None = None
) -> list[tuple[int, MatchResult]]:
    found: list[tuple[int, MatchResult]] = []
    candidates = [
        (other_id, other_records)
        for other_id, other_records in registered_records(candidate_case_ids(keys, exclude=exclude))
        if other_records
    ]
    if not records or not candidates:
        return found
    for other_id, other_records in candidates:
        # a pair of records given up under the threshold is not compared to the end: the
        # best of the others is the best of all whenever it counts
        results = [
            result
            for a in records
            for b in other_records
            if (result := compare_reaching(a, b, threshold=DUPLICATE_THRESHOLD)) is not None
        ]
        if results:
            found.append((other_id, max(results, key=lambda r: r.score)))
    return found


def candidate_case_ids(keys: Iterable[str], *, exclude: int | None = None) -> list[int]:
    """Registered cases sharing a blocking key with ``keys``: bounded by ``MAX_BLOCK`` per key
    and ``MAX_CANDIDATE_CASES`` in all, read through the key index."""
    blocks = bounded_blocks(table=MatchKey._meta.db_table, member="case_id", keys=keys)
    return _candidates(blocks.values(), limit=MAX_CANDIDATE_CASES, exclude=exclude)


def list_matches(
    records: Sequence[PersonRecord],
    *,
    lists: Sequence[ScreeningList],
    registered: bool = True,
) -> list[tuple[int, MatchResult]]:
    """(list entry id, best result) for the entries of ``lists`` over the list threshold:
    candidates by the records' list-side blocking keys from ``ListKey`` (``MAX_BLOCK`` per
    key and list), the best ``MAX_LIST_HITS`` per list and record. With a model that weighs
    namesakes (2026.12d on), each pair's shared name combination is weighed by how many
    registered cases hold it (``MatchKey``, counted up to ``MAX_BLOCK + 1``; ``registered``:
    the records' own case is among them, else it is counted on top) and how many entries
    of the list do (``ListKey``)."""
    if not records or not lists:
        return []
    combos = _combinations(records) if CURRENT.namesakes is not None else {}
    registry_counts: dict[str, int] = {}
    if combos:
        found = bounded_blocks(
            table=MatchKey._meta.db_table,
            member="case_id",
            keys={reg for reg, _, _ in combos.values()},
        )
        own = 0 if registered else 1
        registry_counts = {
            plain: max(len(found.get((None, reg), ())) + own, 1)
            for plain, (reg, _, _) in combos.items()
        }
    blocks = bounded_blocks(
        table=ListKey._meta.db_table,
        member="entry_id",
        keys=list_record_keys(records),
        scopes=[sl.pk for sl in lists],
    )
    per_list: dict[int, list[list[int]]] = {}
    for (scope, _key), members in blocks.items():
        assert scope is not None
        per_list.setdefault(scope, []).append(members)
    candidate_ids = {
        scope: _candidates(found, limit=MAX_BLOCK * len(found)) for scope, found in per_list.items()
    }
    entries = list_entry_records({pk for ids in candidate_ids.values() for pk in ids})
    out: list[tuple[int, MatchResult]] = []
    for scope, ids in candidate_ids.items():
        # entry -> the name combinations it shares with the registrant (plain key, rank)
        shared: dict[int, list[tuple[str, int]]] = {}
        entry_counts: dict[str, int] = {}
        for plain, (_, listed, rank) in combos.items():
            members = blocks.get((scope, listed), [])
            entry_counts[plain] = len(members)
            for pk in members:
                shared.setdefault(pk, []).append((plain, rank))
        best: dict[int, MatchResult] = {}
        for record in records:
            scored = []
            for pk in ids:
                result = compare_reaching(
                    record, entries[pk], threshold=LIST_THRESHOLD, screening=True,
                    namesakes=(
                        namesakes(shared[pk], registry_counts, entry_counts)
                        if pk in shared else None
                    ),
                )  # fmt: skip
                if result is not None:
                    scored.append((pk, result))
            scored.sort(key=lambda c: (-c[1].score, str(c[0])))
            for pk, result in scored[:MAX_LIST_HITS]:
                if pk not in best or result.score > best[pk].score:
                    best[pk] = result
        out += best.items()
    return out


def _combinations(records: Sequence[PersonRecord]) -> dict[str, tuple[str, str, int]]:
    """The records' name combinations: plain key -> (registry-keyed, list-keyed, rank)."""
    registry, listed = matching_key(), list_matching_key()
    found: dict[str, tuple[str, str, int]] = {}
    for record in records:
        for plain, rank in name_combinations(record).items():
            found[plain] = (keyed(plain, registry), keyed(plain, listed), rank)
    return found


def bounded_blocks(
    *, table: str, member: str, keys: Iterable[str], scopes: Sequence[int | None] = (None,)
) -> dict[tuple[int | None, str], list[int]]:
    """The members of each block (key, within each scope), reading at most ``MAX_BLOCK + 1``
    rows of each through the key index: one bounded query, however large the table."""
    selects: list[str] = []
    params: list[int | str] = []
    scope_column = "screening_list_id"
    for scope in scopes:
        for key in sorted(keys):
            where = "key = %s" if scope is None else f"{scope_column} = %s AND key = %s"
            scope_out = "NULL" if scope is None else scope_column
            selects.append(
                f"SELECT * FROM (SELECT {scope_out} AS scope, key, {member} AS member "  # noqa: S608 - names from code
                f"FROM {table} WHERE {where} LIMIT {MAX_BLOCK + 1}) AS b{len(selects)}"
            )
            params += ([] if scope is None else [scope]) + [key]
    blocks: dict[tuple[int | None, str], list[int]] = {}
    if not selects:
        return blocks
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for scope, key, member_id in cursor.fetchall():
            blocks.setdefault((scope, key), []).append(member_id)
    return blocks


def _candidates(
    blocks: Iterable[list[int]], *, limit: int, exclude: int | None = None
) -> list[int]:
    """Members of the blocks no larger than ``MAX_BLOCK``, rarest block first, up to ``limit``
    (a key shared by more records is too common to compare on alone, as in batch)."""
    found: dict[int, None] = {}
    for members in sorted((m for m in blocks if len(m) <= MAX_BLOCK), key=len):
        for member in members:
            if member != exclude:
                found.setdefault(member)
        if len(found) >= limit:
            break
    return list(found)[:limit]


def _lock_keys(keys: set[str]) -> None:
    """On PostgreSQL, two registrations that share a blocking key take turns from here to
    their commit, so the second sees the first and they are linked (SQLite writers take
    turns anyway). Locks are taken in one order, so two registrations cannot deadlock."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:15], 16)])
