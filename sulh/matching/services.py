"""Online matching: every intake is checked against the registry and the loaded lists.

Candidates over the threshold open review items with their evidence; a vetting
officer links or clears each with a reason. Nothing is merged and nobody is
denied automatically: a confirmed list match only becomes a fact the program's
rules may use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.core.errors import Conflict, ValidationFailed
from sulh.keys.fields import EncryptedTextField
from sulh.keys.sealing import derived_key, open_sealed_many
from sulh.matching.batch import InputError
from sulh.matching.index import MAX_BLOCK, blocking_keys
from sulh.matching.models import (
    CandidateKind,
    CandidateStatus,
    ListEntry,
    ListKey,
    MatchCandidate,
    MatchKey,
    ScreeningList,
)
from sulh.matching.record import PersonRecord
from sulh.matching.score import MODEL, MatchResult, compare, compare_reaching

if TYPE_CHECKING:
    from sulh.cases.models import Case
    from sulh.registry.models import Person

DUPLICATE_THRESHOLD = 0.5
LIST_THRESHOLD = 0.5
MAX_CANDIDATE_CASES = 200  # registered cases compared with one intake, at most
MAX_LIST_HITS = 20  # per list and record, best first
LIST_CACHE_SIZE = 50_000  # decrypted list entries kept per process (list versions never change)
CASE_CACHE_SIZE = 50_000  # registered people's records kept per process, by sealed digest
IMPORT_BATCH = 5_000
PERSON_FIELDS = (
    *(
        f"{part}_name_{suffix}"
        for suffix in ("ar", "lat")
        for part in ("given", "father", "grandfather", "family", "mother")
    ),
    "birth_date",
    "birth_place",
    "national_id",
)
_entry_cache: OrderedDict[int, PersonRecord] = OrderedDict()
_case_cache: OrderedDict[int, tuple[bytes, list[PersonRecord]]] = OrderedDict()
_lock = threading.Lock()


def _matching_key() -> bytes:
    return derived_key(purpose="matching-keys")


def person_records(*, person: Person, record_id: str) -> list[PersonRecord]:
    """The person as recorded, once per script the desk used."""
    return _records({f: getattr(person, f) for f in PERSON_FIELDS}, record_id=record_id)


def _records(fields: dict[str, str], *, record_id: str) -> list[PersonRecord]:
    records = []
    for suffix in ("ar", "lat"):
        given = fields[f"given_name_{suffix}"]
        family = fields[f"family_name_{suffix}"]
        father = fields[f"father_name_{suffix}"]
        if not (given or family or father):
            continue
        records.append(
            PersonRecord(
                record_id=record_id,
                given_name=given,
                father_name=father,
                grandfather_name=fields[f"grandfather_name_{suffix}"],
                family_name=family,
                mother_name=fields[f"mother_name_{suffix}"],
                birth_date=fields["birth_date"],
                birth_place=fields["birth_place"],
                national_id=fields["national_id"],
            )
        )
    return records


def record_keys(records: Iterable[PersonRecord]) -> set[str]:
    """The keyed blocking keys of one person (all its records), as stored and looked up."""
    key = _matching_key()
    return set().union(*(blocking_keys(r, key=key) for r in records))


def best_match(left: list[PersonRecord], right: list[PersonRecord]) -> MatchResult | None:
    results = [compare(a, b) for a in left for b in right]
    return max(results, key=lambda r: r.score) if results else None


def _evidence(result: MatchResult) -> list[dict[str, object]]:
    return [dataclasses.asdict(e) for e in result.evidence]


def case_screen(*, case: Case) -> list[MatchCandidate]:
    """Record the case's keyed blocking keys; open candidates for duplicates and list hits."""
    records = person_records(person=case.intake.person, record_id=str(case.pk))
    keys = record_keys(records)
    _lock_keys(keys)
    candidates = _duplicates(case=case, records=records, keys=keys)
    MatchKey.objects.bulk_create([MatchKey(case=case, key=k) for k in keys], ignore_conflicts=True)
    candidates += _list_hits(case=case, records=records, keys=keys)
    return candidates


@dataclasses.dataclass(frozen=True)
class OnlineCheck:
    duplicates: list[tuple[int, MatchResult]]  # (case id, result) over the threshold
    list_hits: list[tuple[int, MatchResult]]  # (list entry id, result) over the threshold


def online_check(
    records: Sequence[PersonRecord], *, keys: set[str], exclude: int | None = None
) -> OnlineCheck:
    """What ``case_screen`` finds for one person, without storing anything: the registered
    cases and the active lists' entries over their thresholds."""
    lists = list(ScreeningList.objects.filter(active=True))
    return OnlineCheck(
        duplicates=duplicate_matches(records, keys=keys, exclude=exclude),
        list_hits=list_matches(records, keys=keys, lists=lists),
    )


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


def _bounded_blocks(
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


def _duplicates(*, case: Case, records: list[PersonRecord], keys: set[str]) -> list[MatchCandidate]:
    found = [
        MatchCandidate(
            case=case,
            kind=CandidateKind.DUPLICATE,
            other_case_id=other_id,
            score=result.score,
            evidence=_evidence(result),
            model=result.model,
        )
        for other_id, result in duplicate_matches(records, keys=keys, exclude=case.pk)
    ]
    return MatchCandidate.objects.bulk_create(found)


def candidate_case_ids(keys: Iterable[str], *, exclude: int | None = None) -> list[int]:
    """Registered cases sharing a blocking key with ``keys``: bounded by ``MAX_BLOCK`` per key
    and ``MAX_CANDIDATE_CASES`` in all, read through the key index."""
    blocks = _bounded_blocks(table=MatchKey._meta.db_table, member="case_id", keys=keys)
    return _candidates(blocks.values(), limit=MAX_CANDIDATE_CASES, exclude=exclude)


def registered_records(case_ids: Sequence[int]) -> list[tuple[int, list[PersonRecord]]]:
    """The cases' people as records. The sealed fields are read as stored and a case is
    decrypted only when its sealed values differ from those this process opened last (a
    digest of them is kept beside the records): a person corrected or erased since has
    new sealed values."""
    from sulh.cases.models import Case
    from sulh.registry.models import Person

    if not case_ids:
        return []
    contexts = [
        cast(EncryptedTextField, Person._meta.get_field(f))._context() for f in PERSON_FIELDS
    ]
    query = Case.objects.filter(pk__in=case_ids).values_list(
        "pk", *(f"intake__person__{f}" for f in PERSON_FIELDS)
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:  # the columns as stored: no field opens them
        cursor.execute(sql, params)
        rows = [(row[0], [s or "" for s in row[1:]]) for row in cursor.fetchall()]
    found: dict[int, list[PersonRecord]] = {}
    missing = []
    with _lock:
        for pk, sealed in rows:
            digest = hashlib.blake2b("\n".join(sealed).encode(), digest_size=16).digest()
            cached = _case_cache.get(pk)
            if cached is not None and cached[0] == digest:
                _case_cache.move_to_end(pk)
                found[pk] = cached[1]
            else:
                missing.append((pk, digest, sealed))
    fresh = {}
    for pk, digest, sealed in missing:
        plain = dict(zip(PERSON_FIELDS, open_sealed_many(sealed, contexts), strict=True))
        found[pk] = _records(plain, record_id=str(pk))
        fresh[pk] = (digest, found[pk])
    if fresh:
        with _lock:
            _case_cache.update(fresh)
            while len(_case_cache) > CASE_CACHE_SIZE:
                _case_cache.popitem(last=False)
    return [(pk, found[pk]) for pk, _ in rows]


def _entry_record(pk: int, sealed_json: str) -> PersonRecord:
    fields = json.loads(sealed_json)
    fields["aliases"] = tuple(fields.get("aliases", ()))
    return PersonRecord(**{**fields, "record_id": str(pk)})


def list_entry_records(entry_ids: Iterable[int]) -> dict[int, PersonRecord]:
    """The list entries decrypted, through a bounded per-process cache (entries never change)."""
    found: dict[int, PersonRecord] = {}
    missing = []
    with _lock:
        for pk in entry_ids:
            record = _entry_cache.get(pk)
            if record is None:
                missing.append(pk)
            else:
                _entry_cache.move_to_end(pk)
                found[pk] = record
    if missing:
        fetched = {
            pk: _entry_record(pk, text)
            for pk, text in ListEntry.objects.filter(pk__in=missing).values_list("pk", "record")
        }
        found.update(fetched)
        with _lock:
            _entry_cache.update(fetched)
            while len(_entry_cache) > LIST_CACHE_SIZE:
                _entry_cache.popitem(last=False)
    return found


def list_matches(
    records: Sequence[PersonRecord], *, keys: set[str], lists: Sequence[ScreeningList]
) -> list[tuple[int, MatchResult]]:
    """(list entry id, best result) for the entries of ``lists`` over the list threshold:
    candidates by blocking key from ``ListKey`` (``MAX_BLOCK`` per key and list), the best
    ``MAX_LIST_HITS`` per list and record."""
    if not records or not lists:
        return []
    blocks = _bounded_blocks(
        table=ListKey._meta.db_table, member="entry_id", keys=keys, scopes=[sl.pk for sl in lists]
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
    for ids in candidate_ids.values():
        best: dict[int, MatchResult] = {}
        for record in records:
            scored = []
            for pk in ids:
                result = compare_reaching(
                    record, entries[pk], threshold=LIST_THRESHOLD, screening=True
                )
                if result is not None:
                    scored.append((pk, result))
            scored.sort(key=lambda c: (-c[1].score, str(c[0])))
            for pk, result in scored[:MAX_LIST_HITS]:
                if pk not in best or result.score > best[pk].score:
                    best[pk] = result
        out += best.items()
    return out


def _list_hits(
    *,
    case: Case,
    records: list[PersonRecord],
    keys: set[str],
    only: ScreeningList | None = None,
) -> list[MatchCandidate]:
    lists = [only] if only else list(ScreeningList.objects.filter(active=True))
    found = [
        MatchCandidate(
            case=case,
            kind=CandidateKind.LIST,
            list_entry_id=entry_pk,
            score=result.score,
            evidence=_evidence(result),
            model=result.model,
        )
        for entry_pk, result in list_matches(records, keys=keys, lists=lists)
    ]
    return MatchCandidate.objects.bulk_create(found)


def case_screening_status(*, case: Case) -> Literal["clear", "pending", "confirmed_match"]:
    """What the rules may know of screening: open list hits are pending, linked ones confirmed."""
    statuses = set(
        MatchCandidate.objects.filter(case=case, kind=CandidateKind.LIST).values_list(
            "status", flat=True
        )
    )
    if CandidateStatus.LINKED in statuses:
        return "confirmed_match"
    if CandidateStatus.OPEN in statuses:
        return "pending"
    return "clear"


def candidate_resolve(
    *, candidate: MatchCandidate, user: User, decision: str, reason: str
) -> MatchCandidate:
    """A vetting officer confirms (link) or clears a candidate, with a reason."""
    from sulh.cases import services as case_services

    require(user, Action.RESOLVE_CANDIDATE)
    if decision not in {"link", "clear"}:
        raise ValidationFailed("must be link or clear", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    with transaction.atomic():
        candidate = (
            MatchCandidate.objects.select_for_update().select_related("case").get(pk=candidate.pk)
        )
        if candidate.status != CandidateStatus.OPEN:
            raise Conflict("this candidate was already resolved", field="candidate")
        candidate.status = CandidateStatus.LINKED if decision == "link" else CandidateStatus.CLEARED
        candidate.resolved_by = user
        candidate.reason = reason[:2000]
        candidate.resolved_at = timezone.now()
        candidate.save(update_fields=["status", "resolved_by", "reason", "resolved_at"])
        audit_record(
            actor=user, action=f"candidate.{decision}", obj_type="match_candidate",
            obj_id=str(candidate.pk), purpose=candidate.reason[:300],
        )  # fmt: skip
        case = candidate.case
        if not MatchCandidate.objects.filter(case=case, status=CandidateStatus.OPEN).exists():
            case_services.case_review_closed(case=case, actor=user)
    return candidate


def list_import(
    *,
    path: Path,
    name: str,
    user: User | None,
    source: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> ScreeningList:
    """Import a list version from CSV (the batch schema plus an optional aliases column) or
    the UN Security Council consolidated list XML, then re-screen the registered cases that
    share a blocking key with it (no other case can match it). ``progress(stage, done, total)``
    is told how far the import and the re-screening are."""
    from sulh.matching.unsc import read_list_file

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
    matched = list_rescreen(screening_list=screening_list, user=user, progress=progress)
    audit_record(
        actor=user, action="list.rescreened", obj_type="screening_list",
        obj_id=f"{screening_list.name}:{screening_list.version}",
        details={"cases_matched": matched},
    )  # fmt: skip
    return screening_list


def list_entries_store(
    *,
    screening_list: ScreeningList,
    entries: Sequence[PersonRecord],
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Seal the entries and store their keyed blocking keys, in batches."""
    key = _matching_key()
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
        _list_keys_insert(rows)
        if progress:
            progress("entries", start + len(batch), len(entries))


def _list_keys_insert(rows: list[tuple[int, int, str]]) -> None:
    """(list, entry, key) rows: millions of them, so not one model object each."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ListKey._meta.db_table} (screening_list_id, entry_id, key) "  # noqa: S608 - names from code
            "VALUES (%s, %s, %s)",
            rows,
        )


def list_rescreen(
    *,
    screening_list: ScreeningList,
    user: User | None,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Screen against one list version every registered case sharing a key with it; the
    number of cases it matched (each goes back to review when it was waiting on a
    decision)."""
    from sulh.cases.models import Case

    usable = (  # keys of blocks small enough to compare on, as the screening uses them
        ListKey.objects.filter(screening_list=screening_list)
        .values("key")
        .annotate(size=Count("id"))
        .filter(size__lte=MAX_BLOCK)
        .values("key")
    )
    shared = MatchKey.objects.filter(key__in=usable).values_list("case_id", flat=True).distinct()
    case_ids = sorted(shared)
    matched = 0
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        for case in Case.objects.filter(pk__in=chunk).select_related("intake__person"):
            records = person_records(person=case.intake.person, record_id=str(case.pk))
            keys = record_keys(records)
            if _list_hits(case=case, records=records, keys=keys, only=screening_list):
                matched += 1
                _reopen_review(case=case, user=user)
        if progress:
            progress("cases", start + len(chunk), len(case_ids))
    return matched


def keys_rebuild(*, progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Store again every blocking key of the registered cases and the active list entries,
    as this version of the normalisation and blocking makes them: after an upgrade that
    changes them (a new ``MODEL``), records stored before would otherwise be looked up
    under keys that are no longer made. Erased cases have no keys and get none. Each chunk
    of cases and each list is replaced in one transaction, so screening meanwhile sees a
    record's old keys or its new ones, never none. Returns (cases, list entries) re-keyed."""
    from sulh.cases.models import Case

    key = _matching_key()
    case_ids = list(
        MatchKey.objects.order_by("case_id").values_list("case_id", flat=True).distinct()
    )
    for start in range(0, len(case_ids), IMPORT_BATCH):
        chunk = case_ids[start : start + IMPORT_BATCH]
        cases = Case.objects.filter(pk__in=chunk).select_related("intake__person")
        rows = [
            MatchKey(case_id=case.pk, key=k)
            for case in cases
            for k in record_keys(person_records(person=case.intake.person, record_id=str(case.pk)))
        ]
        with transaction.atomic():
            MatchKey.objects.filter(case_id__in=chunk).delete()
            MatchKey.objects.bulk_create(rows, batch_size=IMPORT_BATCH)
        if progress:
            progress("cases", start + len(chunk), len(case_ids))
    entries = 0
    for screening_list in ScreeningList.objects.filter(active=True).order_by("pk"):
        with transaction.atomic():
            ListKey.objects.filter(screening_list=screening_list).delete()
            stored = ListEntry.objects.filter(screening_list=screening_list).order_by("pk")
            total = stored.count()
            pending: list[tuple[int, int, str]] = []
            pairs = stored.values_list("pk", "record").iterator(chunk_size=IMPORT_BATCH)
            for done, (pk, text) in enumerate(pairs, start=1):
                keys = blocking_keys(_entry_record(pk, text), key=key)
                pending += [(screening_list.pk, pk, k) for k in keys]
                if done % IMPORT_BATCH == 0 or done == total:
                    _list_keys_insert(pending)
                    pending = []
                    if progress:
                        progress(f"list {screening_list.name}", done, total)
        entries += total
    audit_record(
        actor=None, action="matching.keys_rebuilt", obj_type="matching_keys", obj_id=MODEL,
        details={"cases": len(case_ids), "list_entries": entries},
    )  # fmt: skip
    return len(case_ids), entries


def _reopen_review(*, case: Case, user: User | None) -> None:
    from sulh.cases import services as case_services
    from sulh.cases.models import State

    if case.state in {State.SCREENED, State.DECISION_PENDING}:
        case_services.case_record_event(
            case=case, to_state=State.IN_REVIEW, event="review_opened", actor=user,
            reason="a new list version matched this case",
        )  # fmt: skip
