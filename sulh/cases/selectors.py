"""Reads of cases, decisions and match candidates, each through one access helper that
asks the policy (``sulh.accounts.policy``): the default is deny.

Who may see a case is the policy's: roles that may open an adult's case see adults'
cases, roles that may open a child's case see children's cases, and station-bound roles
(registration clerks) only their own station's. Everyone else sees no case.

A case (or decision, or candidate) the user may not see is NotFound (404, its existence
is not confirmed); an action the user's role may not take on one they see is
PermissionDenied (403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.accounts.models import User
from sulh.accounts.policy import Action, allows, require, station_bound
from sulh.audit.services import audit_record
from sulh.cases.models import Case, Decision, ExportRequest
from sulh.core.errors import NotFound
from sulh.matching.models import MatchCandidate
from sulh.matching.selectors import candidates_for_case


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    """Every case ``user`` may read; an empty set for roles that see no personal data."""
    cases = Case.objects.select_related("intake", "intake__person", "program", "station")
    adults, children = allows(user, Action.VIEW_CASE), allows(user, Action.VIEW_CHILDS_CASE)
    if not (adults or children):
        return cases.none()
    if station_bound(user):
        if user.station_id is None:
            return cases.none()
        cases = cases.filter(station_id=user.station_id)
    return cases if adults and children else cases.filter(is_child=children)


def case_get_for_user(
    *, user: User, serial: str, action: Action | None = None, purpose: str = ""
) -> Case:
    """One case by its serial, or NotFound (also when it exists but is not the user's to
    see); then PermissionDenied unless the user's role may take ``action`` on it.

    Opening a case shows personal data: the read is recorded in the audit trail."""
    case = cases_visible_to(user=user).filter(intake__serial=serial).first()
    if case is None:
        audit_record(
            actor=user,
            action="case.read_refused",
            obj_type="case",
            obj_id=serial[:64],
            purpose=purpose,
        )
        raise NotFound(f"no case {serial!r} that you may see", field="serial")
    audit_record(
        actor=user, action="case.read", obj_type="case", obj_id=str(case.pk), purpose=purpose
    )
    if action is not None:
        require(user, action)
    return case


def decision_get_for_user(
    *, user: User, decision_id: int, action: Action | None = None
) -> Decision:
    visible = cases_visible_to(user=user)
    decision = Decision.objects.filter(pk=decision_id, case__in=visible).first()
    if decision is None:
        raise NotFound(f"no decision {decision_id} that you may see", field="decision")
    if action is not None:
        require(user, action)
    return decision


def decisions_awaiting_second(*, user: User) -> QuerySet[Decision]:
    """The four-eyes queue: adverse decisions someone else proposed."""
    if not allows(user, Action.CONFIRM_ADVERSE_DECISION):
        return Decision.objects.none()
    return (
        Decision.objects.filter(status="awaiting_second", case__in=cases_visible_to(user=user))
        .exclude(decided_by=user)
        .select_related("case", "case__intake")
        .order_by("decided_at")
    )


def candidates_get_for_user(*, user: User, serial: str) -> list[MatchCandidate]:
    """A case's match candidates: the role is asked first (403), then the case (404)."""
    require(user, Action.SEE_CANDIDATES)
    return candidates_for_case(case_id=case_get_for_user(user=user, serial=serial).pk)


def candidate_get_for_user(
    *, user: User, candidate_id: int, action: Action | None = None
) -> MatchCandidate:
    """One candidate of a case the user sees, for a role that sees candidates (else 404);
    then PermissionDenied unless the role may take ``action`` on it."""
    candidate = None
    if allows(user, Action.SEE_CANDIDATES):
        visible = cases_visible_to(user=user)
        candidate = MatchCandidate.objects.filter(pk=candidate_id, case__in=visible).first()
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id} that you may see", field="candidate")
    if action is not None:
        require(user, action)
    return candidate


def export_get_for_user(*, user: User, export_id: int, action: Action) -> ExportRequest:
    """An export request, for a role that may take ``action`` on exports: the role is
    asked first (403 whether or not the request exists), then the request (404)."""
    require(user, action)
    found = ExportRequest.objects.select_related("program", "requested_by", "approved_by")
    request = found.filter(pk=export_id).first()
    if request is None:
        raise NotFound(f"no export {export_id}", field="id")
    return request
