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
from sulh.matching.models import MatchCandidate


def candidate_resolve(
    *, candidate: MatchCandidate, user: User, decision: str, reason: str
) -> MatchCandidate:
    """A vetting officer confirms (link) or clears a candidate, with a reason."""
    require(user, Action.RESOLVE_CANDIDATE)
    reason = candidate_decision_check(decision=decision, reason=reason)
    with transaction.atomic():
        # the case row first: two officers resolving a case's last two candidates at once
        # take turns, so the second sees none open and closes the review
        case = Case.objects.select_for_update().get(pk=candidate.case_id)
        candidate = candidate_mark_resolved(
            candidate_id=candidate.pk, user=user, decision=decision, reason=reason
        )
        if not case_has_open_candidates(case_id=case.pk):
            case_services.case_review_closed(case=case, actor=user)
    return candidate
