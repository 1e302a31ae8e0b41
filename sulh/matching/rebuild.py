"""``keys_rebuild``: every stored blocking key made again, after an upgrade that changes them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from sulh.audit.services import audit_record
from sulh.matching.index import blocking_keys
from sulh.matching.lists import IMPORT_BATCH, list_keys_insert
from sulh.matching.models import ListEntry, ListKey, MatchKey, ScreeningList
from sulh.matching.score import MODEL
from sulh.matching.stored import (
    entry_record,
    list_matching_key,
    record_keys,
    registered_records,
)


def keys_rebuild(*, progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Store again every blocking key of the registered cases and the active list entries,
    as this version of the normalisation and blocking makes them: after an upgrade that
    changes them (a new ``MODEL``), records stored before would otherwise be looked up
    under keys that are no longer made. Erased cases have no keys and get none. Each chunk
    of cases and each list is replaced in one transaction, so screening meanwhile sees a
    record's old keys or its new ones, never none. Returns (cases, list entries) re-keyed."""
    cases = _cases_rebuild(progress)
    entries = sum(
        _list_rebuild(sl, progress)
        for sl in ScreeningList.objects.filter(active=True).order_by("pk")
    )
    audit_record(
        actor=None, action="matching.keys_rebuilt", obj_type="matching_keys", obj_id=MODEL,
        details={"cases": cases, "list_entries": entries},
    )  # fmt: skip
    return cases, entries


def _cases_rebuild(progress: Callable[[str, int, int], None] | None) -> int:
    case_ids = list(
        MatchKey.objects.order_by("case_id").values_list("case_id", flat=True).distinct()
    )
    for start in range(0, len(case_ids), IMPORT_BATCH):
        chunk = case_ids[start : start + IMPORT_BATCH]
        rows = [
            MatchKey(case_id=case_id, key=k)
            for case_id, records in registered_records(chunk)
            for k in record_keys(records)
        ]
        with transaction.atomic():
            MatchKey.objects.filter(case_id__in=chunk).delete()
            MatchKey.objects.bulk_create(rows, batch_size=IMPORT_BATCH)
        if progress:
            progress("cases", start + len(chunk), len(case_ids))
    return len(case_ids)


def _list_rebuild(
    screening_list: ScreeningList, progress: Callable[[str, int, int], None] | None
) -> int:
    key = list_matching_key()
    with transaction.atomic():
        ListKey.objects.filter(screening_list=screening_list).delete()
        stored = ListEntry.objects.filter(screening_list=screening_list).order_by("pk")
        total = stored.count()
        pending: list[tuple[int, int, str]] = []
        entries = stored.only("pk", "seal_row", "record").iterator(chunk_size=IMPORT_BATCH)
        for done, entry in enumerate(entries, start=1):
            keys = blocking_keys(entry_record(entry.pk, entry.record), key=key)
            pk = entry.pk
            pending += [(screening_list.pk, pk, k) for k in keys]
            if done % IMPORT_BATCH == 0 or done == total:
                list_keys_insert(pending)
                pending = []
                if progress:
                    progress(f"list {screening_list.name}", done, total)
    return total
