"""A vetting officer resolves the match candidates of a case; the last one resolved sends
the case back to the deciders."""

from __future__ import annotations

from django.db import transaction

from sulh.accounts.models import Role, User
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.core.errors import PermissionDenied
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
    if not user.has_role(Role.VETTING_OFFICER):
        raise PermissionDenied("only a vetting officer resolves match candidates", field="user")
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
