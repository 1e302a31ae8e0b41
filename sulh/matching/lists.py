"""Screening lists: storing a list version with its keyed blocking keys (under a key of
their own, not the registry's), and finding which registered people a new version hits.

Re-screening here only finds; the caller (``sulh.cases.lists``) stores the candidates and
sends the cases back to review.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from django.db import connection, transaction

from sulh.accounts.models import User
from sulh.audit.services import audit_record
from sulh.core.errors import ValidationFailed
from sulh.matching.batch import AlertRate, InputError, expected_alert_rate
from sulh.matching.index import MAX_BLOCK, blocking_keys
from sulh.matching.models import ListEntry, ListKey, MatchKey, ScreeningList
from sulh.matching.online import list_matches
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult
from sulh.matching.stored import (
    list_entry_records,
    list_matching_key,
    record_keys,
    registered_records,
)
from sulh.matching.unsc import read_list_file
from sulh.registry.models import Person

IMPORT_BATCH = 5_000
LOOKUP_CHUNK = 900  # keys per IN (...) query, under SQLite's bound on parameters
RESCREEN_CHUNK = 500  # registered cases read at once when re-screening
Progress = Callable[[str, int, int], None]


def list_store(
    *, path: Path, name: str, user: User | None, source: str = "", progress: Progress | None = None
) -> ScreeningList:
    """Store a list version from CSV (the batch schema plus an optional aliases column) or
    the UN Security Council consolidated list XML, as the active version of ``name``, with
    its keyed blocking keys; in one transaction. ``progress(stage, done, total)``."""
    try:
        entries, rejections = read_list_file(path)
    except InputError as exc:
        raise ValidationFailed(str(exc), field="file") from None
    if rejections:
        first = rejections[0]
        message = f"row {first.row_number}: {first.field}: {first.message}"
        raise ValidationFailed(f"{message} ({len(rejections)} rows rejected)", field="file")
    with transaction.atomic():
        previous = ScreeningList.objects.filter(name=name).order_by("-version").first()
        ScreeningList.objects.filter(name=name).update(active=False)
        screening_list = ScreeningList.objects.create(
            name=name,
            version=(previous.version + 1) if previous else 1,
            source=source or str(path.name),
            imported_by=user,
            entry_count=len(entries),
        )
        list_entries_store(screening_list=screening_list, entries=entries, progress=progress)
        audit_record(
            actor=user, action="list.imported", obj_type="screening_list",
            obj_id=f"{screening_list.name}:{screening_list.version}",
            details={"entries": len(entries), "source": screening_list.source},
        )  # fmt: skip
    return screening_list


def list_entries_store(
    *,
    screening_list: ScreeningList,
    entries: Sequence[PersonRecord],
    progress: Progress | None = None,
) -> None:
    """Seal the entries and store their keyed blocking keys, in batches."""
    key = list_matching_key()
    for start in range(0, len(entries), IMPORT_BATCH):
        batch = entries[start : start + IMPORT_BATCH]
        stored = ListEntry.objects.bulk_create(
            ListEntry(
                screening_list=screening_list,
                entry_id=entry.record_id,
                record=json.dumps(dataclasses.asdict(entry), ensure_ascii=False),
            )
            for entry in batch
        )
        rows = [
            (screening_list.pk, row.pk, k)
            for row, entry in zip(stored, batch, strict=True)
            for k in blocking_keys(entry, key=key)
        ]
        list_keys_insert(rows)
        if progress:
            progress("entries", start + len(batch), len(entries))


def list_keys_insert(rows: list[tuple[int, int, str]]) -> None:
    """(list, entry, key) rows: millions of them, so not one model object each."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ListKey._meta.db_table} (screening_list_id, entry_id, key) "  # noqa: S608 - names from code
            "VALUES (%s, %s, %s)",
            rows,
        )


def list_version_case_ids(*, screening_list: ScreeningList) -> list[int]:
    """The registered cases sharing a usable key with the list version (no other case can
    match it), in id order. The version's entries are opened and keyed again under the
    registry's key, in memory: the stored list keys are under another key and are never
    compared with the registry's in the database."""
    entry_ids = list(
        ListEntry.objects.filter(screening_list=screening_list)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sizes: Counter[str] = Counter()
    for start in range(0, len(entry_ids), IMPORT_BATCH):
        for record in list_entry_records(entry_ids[start : start + IMPORT_BATCH]).values():
            sizes.update(record_keys([record]))
    # keys of blocks small enough to compare on, as the screening uses them
    usable = sorted(key for key, size in sizes.items() if size <= MAX_BLOCK)
    shared: set[int] = set()
    for start in range(0, len(usable), LOOKUP_CHUNK):
        chunk = usable[start : start + LOOKUP_CHUNK]
        shared.update(MatchKey.objects.filter(key__in=chunk).values_list("case_id", flat=True))
    return sorted(shared)


def list_version_hits(
    *, screening_list: ScreeningList, progress: Progress | None = None
) -> Iterator[tuple[int, list[tuple[int, MatchResult]]]]:
    """(case id, [(list entry id, result)]) of each registered case the list version hits
    over the list threshold, in chunks of cases; ``progress("cases", done, total)``."""
    case_ids = list_version_case_ids(screening_list=screening_list)
    for start in range(0, len(case_ids), RESCREEN_CHUNK):
        chunk = case_ids[start : start + RESCREEN_CHUNK]
        for case_id, records in registered_records(chunk):
            hits = list_matches(records, lists=[screening_list])
            if hits:
                yield case_id, hits
        if progress:
            progress("cases", start + len(chunk), len(case_ids))


def list_expected_alerts(
    *, path: Path, threshold: float | None = None, chunk: int = 5_000
) -> AlertRate:
    """How many registered cases a list file would alert on at ``threshold``, before it is
    imported (nothing is stored): every registered case (both scripts of each) screened
    against the file's entries as ``sulh match screen`` does, with the name combinations
    counted over the registry at hand."""
    try:
        entries, _ = read_list_file(path)
    except InputError as exc:
        raise ValidationFailed(str(exc), field="file") from None
    case_ids = sorted(
        {pk for pk in Person.objects.values_list("intake__case__pk", flat=True) if pk is not None}
    )
    records: list[PersonRecord] = []
    for start in range(0, len(case_ids), chunk):
        for _, found in registered_records(case_ids[start : start + chunk]):
            records.extend(found)
    return expected_alert_rate(
        entries, records, threshold=threshold, person_of=lambda record_id: record_id
    )
