"""Reads of cases, each through one access helper: the default is deny.

Who may see a case (docs/permissions.md):
- registration clerks: the cases of their own station, except children's cases;
- vetting, deciding, card officers and evacuation coordinators: every case of the
  programs they serve, except children's cases;
- child-protection officers: children's cases only (under 18 or disputed age);
- checkpoint officers, monitors, program managers and administrators: no case
  (they see figures, cards or accounts, never personal data).
"""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.accounts.models import Role, User
from sulh.audit.services import audit_record
from sulh.cases.models import Case, Decision
from sulh.core.errors import NotFound
from sulh.matching.models import MatchCandidate

CASE_OFFICER_ROLES = frozenset(
    {
        Role.VETTING_OFFICER,
        Role.DECIDING_OFFICER,
        Role.CARD_OFFICER,
        Role.EVACUATION_COORDINATOR,
    }
)


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    """Every case ``user`` may read; an empty set for roles that see no personal data."""
    cases = Case.objects.select_related("intake", "intake__person", "program", "station")
    if not user.is_authenticated or not user.is_active:
        return cases.none()
    if user.role == Role.CLERK and user.station_id is not None:
        return cases.filter(station_id=user.station_id, is_child=False)
    if user.role in CASE_OFFICER_ROLES:
        return cases.filter(is_child=False)
    if user.role == Role.CHILD_PROTECTION:
        return cases.filter(is_child=True)
    return cases.none()


def case_get_for_user(*, user: User, serial: str, purpose: str = "") -> Case:
    """One case by its serial, or NotFound (also when it exists but is not the user's to see).

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
    return case


def decision_get_for_user(*, user: User, decision_id: int) -> Decision:
    visible = cases_visible_to(user=user)
    decision = Decision.objects.filter(pk=decision_id, case__in=visible).first()
    if decision is None:
        raise NotFound(f"no decision {decision_id} that you may see", field="decision")
    return decision


def decisions_awaiting_second(*, user: User) -> QuerySet[Decision]:
    """The four-eyes queue: adverse decisions someone else proposed."""
    if not user.has_role(Role.DECIDING_OFFICER):
        return Decision.objects.none()
    return (
        Decision.objects.filter(status="awaiting_second", case__in=cases_visible_to(user=user))
        .exclude(decided_by=user)
        .select_related("case", "case__intake")
        .order_by("decided_at")
    )


def candidate_get_for_user(*, user: User, candidate_id: int) -> MatchCandidate:
    """A match candidate of a case the user may see, for the roles that review candidates."""
    visible = cases_visible_to(user=user)
    candidate = None
    if user.has_role(Role.VETTING_OFFICER, Role.DECIDING_OFFICER, Role.CHILD_PROTECTION):
        candidate = MatchCandidate.objects.filter(pk=candidate_id, case__in=visible).first()
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id} that you may see", field="candidate")
    return candidate
