"""A vetting officer resolves the match candidates of a case; the last one resolved sends
the case back to the deciders."""

from __future__ import annotations

from django.db import transaction

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.matching.candidates import (
    candidate_decision_check,
    candidate_mark_resolved,
    case_has_open_candidates,
)
from sulh.matching.models import CandidateKind, MatchCandidate


def candidate_resolve(
    *, candidate: MatchCandidate, user: User, decision: str, reason: str, survivor: str = ""
) -> MatchCandidate:
    """A vetting officer (or child protection, for a child's case) confirms (link) or
    clears a candidate, with a reason. A duplicate linked closes one of the two
    registrations: the earlier carries the person's case on, unless ``survivor`` says
    ``this`` case or the ``other`` (``services.case_link_duplicates``)."""
    require(user, Action.RESOLVE_CANDIDATE)
    reason = candidate_decision_check(decision=decision, reason=reason)
    case_services.survivor_check(survivor)
    with transaction.atomic():
        # the case row first: two officers resolving a case's last two candidates at once
        # take turns, so the second sees none open and closes the review
        case = Case.objects.select_for_update().get(pk=candidate.case_id)
        candidate = candidate_mark_resolved(
            candidate_id=candidate.pk, user=user, decision=decision, reason=reason
        )
        if decision == "link" and candidate.kind == CandidateKind.DUPLICATE:
            case_services.case_link_duplicates(
                case=case, other=candidate.other_case, actor=user, reason=reason,
                survivor=survivor,
            )  # fmt: skip
            case.refresh_from_db(fields=["state"])
        if not case_has_open_candidates(case_id=case.pk):
            case_services.case_review_closed(case=case, actor=user)
    return candidate
