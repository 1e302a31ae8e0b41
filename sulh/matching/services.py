"""Online matching: every intake is checked against the registry and the loaded lists.

Candidates over the threshold open review items with their evidence; a vetting
officer links or clears each with a reason. Nothing is merged and nobody is
denied automatically: a confirmed list match only becomes a fact the program's
rules may use.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from django.db import connection, transaction
from django.utils import timezone

from sulh.accounts.models import Role, User
from sulh.audit.services import audit_record
from sulh.core.crypto import derived_key
from sulh.core.errors import Conflict, PermissionDenied, ValidationFailed
from sulh.matching.batch import InputError, read_people_csv
from sulh.matching.index import MatchIndex, blocking_keys
from sulh.matching.models import (
    CandidateKind,
    CandidateStatus,
    ListEntry,
    MatchCandidate,
    MatchKey,
    ScreeningList,
)
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult, compare

if TYPE_CHECKING:
    from sulh.cases.models import Case
    from sulh.registry.models import Person

DUPLICATE_THRESHOLD = 0.5
LIST_THRESHOLD = 0.5
MAX_CANDIDATE_CASES = 200
_list_indexes: dict[int, MatchIndex] = {}
_lock = threading.Lock()


def _matching_key() -> bytes:
    return derived_key(purpose="matching-keys")


def person_records(*, person: Person, record_id: str) -> list[PersonRecord]:
    """The person as recorded, once per script the desk used."""
    records = []
    for suffix in ("ar", "lat"):
        given = getattr(person, f"given_name_{suffix}")
        family = getattr(person, f"family_name_{suffix}")
        father = getattr(person, f"father_name_{suffix}")
        if not (given or family or father):
            continue
        records.append(
            PersonRecord(
                record_id=record_id,
                given_name=given,
                father_name=father,
                grandfather_name=getattr(person, f"grandfather_name_{suffix}"),
                family_name=family,
                mother_name=getattr(person, f"mother_name_{suffix}"),
                birth_date=person.birth_date,
                birth_place=person.birth_place,
                national_id=person.national_id,
            )
        )
    return records


def best_match(left: list[PersonRecord], right: list[PersonRecord]) -> MatchResult | None:
    results = [compare(a, b) for a in left for b in right]
    return max(results, key=lambda r: r.score) if results else None


def _evidence(result: MatchResult) -> list[dict[str, object]]:
    return [dataclasses.asdict(e) for e in result.evidence]


def case_screen(*, case: Case) -> list[MatchCandidate]:
    """Record the case's keyed blocking keys; open candidates for duplicates and list hits."""
    records = person_records(person=case.intake.person, record_id=str(case.pk))
    key = _matching_key()
    keys = set().union(*(blocking_keys(r, key=key) for r in records)) if records else set()
    _lock_keys(keys)
    candidates = _duplicates(case=case, records=records, keys=keys)
    MatchKey.objects.bulk_create([MatchKey(case=case, key=k) for k in keys], ignore_conflicts=True)
    candidates += _list_hits(case=case, records=records)
    return candidates


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
    from sulh.cases.models import Case

    other_ids = list(
        MatchKey.objects.filter(key__in=keys)
        .exclude(case=case)
        .values_list("case_id", flat=True)
        .distinct()[:MAX_CANDIDATE_CASES]
    )
    found = []
    for other in Case.objects.filter(pk__in=other_ids).select_related("intake__person"):
        result = best_match(
            records, person_records(person=other.intake.person, record_id=str(other.pk))
        )
        if result and result.score >= DUPLICATE_THRESHOLD:
            found.append(
                MatchCandidate(
                    case=case,
                    kind=CandidateKind.DUPLICATE,
                    other_case=other,
                    score=result.score,
                    evidence=_evidence(result),
                    model=result.model,
                )
            )
    return MatchCandidate.objects.bulk_create(found)


def _list_index(screening_list: ScreeningList) -> MatchIndex:
    """The decrypted entries of one list version, indexed once per process."""
    with _lock:
        index = _list_indexes.get(screening_list.pk)
        if index is None:
            index = MatchIndex()
            for entry in ListEntry.objects.filter(screening_list=screening_list):
                fields = json.loads(entry.record)
                fields["aliases"] = tuple(fields.get("aliases", ()))
                index.add(PersonRecord(**{**fields, "record_id": str(entry.pk)}))
            _list_indexes[screening_list.pk] = index
    return index


def _list_hits(
    *, case: Case, records: list[PersonRecord], only: ScreeningList | None = None
) -> list[MatchCandidate]:
    lists = [only] if only else list(ScreeningList.objects.filter(active=True))
    found = []
    for screening_list in lists:
        index = _list_index(screening_list)
        best: dict[str, MatchResult] = {}
        for record in records:
            for candidate in index.query(
                record, threshold=LIST_THRESHOLD, exclude_self=False, screening=True
            ):
                if (
                    candidate.record_id not in best
                    or candidate.result.score > best[candidate.record_id].score
                ):
                    best[candidate.record_id] = candidate.result
        found += [
            MatchCandidate(
                case=case,
                kind=CandidateKind.LIST,
                list_entry_id=int(entry_pk),
                score=result.score,
                evidence=_evidence(result),
                model=result.model,
            )
            for entry_pk, result in best.items()
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

    if not user.has_role(Role.VETTING_OFFICER):
        raise PermissionDenied("only a vetting officer resolves match candidates", field="user")
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


def list_import(*, path: Path, name: str, user: User | None, source: str = "") -> ScreeningList:
    """Import a list version from CSV (the batch schema plus an optional aliases column) or
    the UN Security Council consolidated list XML, then screen every registered case."""
    from sulh.cases.models import Case
    from sulh.matching.unsc import read_unsc_xml

    reader = read_unsc_xml if path.suffix.lower() == ".xml" else read_people_csv
    try:
        entries, rejections = reader(path)
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
        ListEntry.objects.bulk_create(
            ListEntry(
                screening_list=screening_list,
                entry_id=entry.record_id,
                record=json.dumps(dataclasses.asdict(entry), ensure_ascii=False),
            )
            for entry in entries
        )
    for case in Case.objects.select_related("intake__person").iterator(chunk_size=500):
        records = person_records(person=case.intake.person, record_id=str(case.pk))
        if _list_hits(case=case, records=records, only=screening_list):
            _reopen_review(case=case, user=user)
    return screening_list


def _reopen_review(*, case: Case, user: User | None) -> None:
    from sulh.cases import services as case_services
    from sulh.cases.models import State

    if case.state in {State.SCREENED, State.DECISION_PENDING}:
        case_services.case_record_event(
            case=case, to_state=State.IN_REVIEW, event="review_opened", actor=user,
            reason="a new list version matched this case",
        )  # fmt: skip
