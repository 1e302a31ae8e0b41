"""Reads of match candidates, through the case access helper (default deny)."""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.accounts.models import Role, User
from sulh.cases.models import Case
from sulh.cases.selectors import cases_visible_to
from sulh.core.errors import NotFound
from sulh.matching.models import MatchCandidate


def candidates_for_case(*, case: Case) -> QuerySet[MatchCandidate]:
    return (
        MatchCandidate.objects.filter(case=case)
        .select_related("other_case__intake", "list_entry")
        .order_by("status", "-score")
    )


def candidate_get_for_user(*, user: User, candidate_id: int) -> MatchCandidate:
    visible = cases_visible_to(user=user)
    candidate = None
    if user.has_role(Role.VETTING_OFFICER, Role.DECIDING_OFFICER, Role.CHILD_PROTECTION):
        candidate = MatchCandidate.objects.filter(pk=candidate_id, case__in=visible).first()
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id} that you may see", field="candidate")
    return candidate
