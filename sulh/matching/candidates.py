"""Review candidates: the matching-level writes on ``MatchCandidate``.

A candidate is a lead for a vetting officer, never a decision. These functions store and
resolve candidates by case id; moving the case (review opened, review closed) is the
caller's, in ``sulh.cases``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import User
from sulh.audit.services import audit_record
from sulh.core.errors import Conflict, ValidationFailed
from sulh.matching.models import (
    CandidateKind,
    CandidateStatus,
    MatchCandidate,
    candidate_other_index,
)
from sulh.matching.score import MatchResult

DECISIONS = {"link": CandidateStatus.LINKED, "clear": CandidateStatus.CLEARED}


def candidates_create(
    *, case_id: int, kind: CandidateKind, found: Iterable[tuple[int, MatchResult]]
) -> list[MatchCandidate]:
    """One open candidate per (other case id, or list entry id, by ``kind``) and result."""
    rows = [
        MatchCandidate(
            case_id=case_id,
            kind=kind,
            other=str(pk),
            other_index=candidate_other_index(kind=kind, pk=pk),
            score=result.score,
            evidence=[dataclasses.asdict(e) for e in result.evidence],
            model=result.model,
        )
        for pk, result in found
    ]
    return MatchCandidate.objects.bulk_create(rows)


def candidate_decision_check(*, decision: str, reason: str) -> str:
    """The reason, stripped, when ``decision`` and ``reason`` can resolve a candidate."""
    if decision not in DECISIONS:
        raise ValidationFailed("must be link or clear", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    return reason


def candidate_mark_resolved(
    *, candidate_id: int, user: User, decision: str, reason: str
) -> MatchCandidate:
    """Link or clear an open candidate with a reason, and audit it; within the caller's
    transaction, the candidate's row locked. The caller checks who may resolve it."""
    reason = candidate_decision_check(decision=decision, reason=reason)
    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate_id)
    if candidate.status != CandidateStatus.OPEN:
        raise Conflict("this candidate was already resolved", field="candidate")
    candidate.status = DECISIONS[decision]
    candidate.resolved_by = user
    candidate.reason = reason[:2000]
    candidate.resolved_at = timezone.now()
    candidate.save(update_fields=["status", "resolved_by", "reason", "resolved_at"])
    audit_record(
        actor=user, action=f"candidate.{decision}", obj_type="match_candidate",
        obj_id=str(candidate.pk), purpose=candidate.reason[:300],
    )  # fmt: skip
    return candidate


def candidates_close_with_case(
    *, case_id: int, survivor_id: int, user: User, reason: str
) -> list[MatchCandidate]:
    """A registration was closed as a duplicate of ``survivor_id``: close its open
    candidates (its own review ends with it), and another case's open candidate naming it
    where that case is the survivor or has a candidate naming the survivor too (the one
    person is compared there). Each with who and why, audited; within the caller's
    transaction. Another case's candidate naming it alone stays open: linking it links the
    survivor."""
    survivor_index = candidate_other_index(kind=CandidateKind.DUPLICATE, pk=survivor_id)
    compared = {survivor_id} | set(
        MatchCandidate.objects.filter(other_index=survivor_index).values_list("case_id", flat=True)
    )
    index = candidate_other_index(kind=CandidateKind.DUPLICATE, pk=case_id)
    naming = Q(other_index=index, case_id__in=compared)
    found = MatchCandidate.objects.select_for_update().filter(
        Q(case_id=case_id) | naming, status=CandidateStatus.OPEN
    )
    closed = []
    for candidate in found.order_by("pk"):  # sealed to each row: one by one
        candidate.status = CandidateStatus.CLOSED
        candidate.resolved_by = user
        candidate.reason = reason[:2000]
        candidate.resolved_at = timezone.now()
        candidate.save(update_fields=["status", "resolved_by", "reason", "resolved_at"])
        audit_record(
            actor=user, action="candidate.closed", obj_type="match_candidate",
            obj_id=str(candidate.pk), purpose=candidate.reason[:300],
        )  # fmt: skip
        closed.append(candidate)
    return closed


def candidates_naming_case(*, case_id: int) -> QuerySet[MatchCandidate]:
    """The candidates of a case and those of other cases that name it as a duplicate."""
    index = candidate_other_index(kind=CandidateKind.DUPLICATE, pk=case_id)
    return MatchCandidate.objects.filter(Q(case_id=case_id) | Q(other_index=index))


def case_named_by_open_duplicates(*, case_id: int, also: Iterable[int] = ()) -> bool:
    """Whether a later registration's open candidate says it may be this case's person
    (until it is resolved, deciding or carding this case may give one person two cards);
    ``also``: the registrations closed as this case's duplicates, the same person's."""
    indexes = [
        candidate_other_index(kind=CandidateKind.DUPLICATE, pk=pk) for pk in (case_id, *also)
    ]
    found = MatchCandidate.objects.filter(other_index__in=indexes, status=CandidateStatus.OPEN)
    return found.exists()


def case_has_open_candidates(*, case_id: int) -> bool:
    return MatchCandidate.objects.filter(case_id=case_id, status=CandidateStatus.OPEN).exists()


def case_screening_status(*, case_id: int) -> Literal["clear", "pending", "confirmed_match"]:
    """What the rules may know of screening: open list hits are pending, linked ones confirmed."""
    statuses = {  # the kind is sealed: a case's few candidates are opened to tell
        candidate.status
        for candidate in MatchCandidate.objects.filter(case_id=case_id).only("kind", "status")
        if candidate.kind == CandidateKind.LIST
    }
    if CandidateStatus.LINKED in statuses:
        return "confirmed_match"
    if CandidateStatus.OPEN in statuses:
        return "pending"
    return "clear"
