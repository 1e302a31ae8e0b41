"""Reads of cases, decisions and match candidates, each through one access helper that
asks the policy (``sulh.accounts.policy``): the default is deny.

Who may see a case is the policy's: roles that may open an adult's case see adults'
cases, roles that may open a child's case see children's cases, station-bound roles
(registration clerks) only their own station's, and program-bound roles (officers) only
the programs they serve (and, where the program says so, the stations they serve it at).
Everyone else sees no case. Opening a case counts against the account's read budget.

A case (or decision, or candidate) the user may not see is NotFound (404, its existence
is not confirmed); an action the user's role may not take on one they see is
PermissionDenied (403).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import CaseReadWindow, Service, User
from sulh.accounts.policy import (
    Action,
    allows,
    program_bound,
    program_scope_stations,
    require,
    station_bound,
)
from sulh.accounts.services import case_read_take
from sulh.audit.alerts import alert_raise
from sulh.audit.services import audit_record
from sulh.cases.models import Case, Decision, ExportRequest
from sulh.core.errors import NotFound, RateLimited
from sulh.matching.models import MatchCandidate
from sulh.matching.selectors import candidates_for_case


def served_programs(*, user: User) -> Q:
    """The cases of the programs ``user`` serves, at the stations they serve them at where
    the program says so; matches nothing for someone who serves no program."""
    served = Q(pk__in=[])
    by_station: dict[int, set[int]] = {}
    for service in Service.objects.filter(user=user).select_related("program"):
        scope = (service.program.definition or {}).get("officer_scope", "program")
        if not program_scope_stations(scope):
            served |= Q(program_id=service.program_id)
        elif service.station_id is not None:
            by_station.setdefault(service.program_id, set()).add(service.station_id)
    for program_id, stations in by_station.items():
        served |= Q(program_id=program_id, station_id__in=sorted(stations))
    return served


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
    if program_bound(user):
        cases = cases.filter(served_programs(user=user))
    return cases if adults and children else cases.filter(is_child=children)


def read_budget_take(*, user: User, reads: int = 1, kind: str = CaseReadWindow.KIND_CASE) -> None:
    """Count ``reads`` reads of personal data (cases opened, people a search showed, or
    look-alike checks at intake); beyond the limit, refuse (429) and raise an alert once
    per window."""
    seconds = settings.SULH_CASE_READS_SECONDS
    if kind == CaseReadWindow.KIND_CASE:
        limit, what = settings.SULH_CASE_READS, "cases opened or people found"
    else:
        limit, what = settings.SULH_INTAKE_CHECKS, "look-alike checks"
    budget = case_read_take(user=user, limit=limit, seconds=seconds, reads=reads, kind=kind)
    if budget.first_refusal:
        alert_raise(
            actor=user,
            kind="bulk_case_reads" if kind == CaseReadWindow.KIND_CASE else "bulk_intake_checks",
            details={"reads": budget.reads, "limit": limit, "seconds": seconds},
        )
    if not budget.allowed:
        raise RateLimited(
            f"more than {limit} {what} in {seconds // 60} minutes: wait, or ask the "
            "administrator (an alert was raised)",
            field="user",
        )


def case_get_for_user(
    *, user: User, serial: str, action: Action | None = None, purpose: str = ""
) -> Case:
    """One case by its serial, or NotFound (also when it exists but is not the user's to
    see); then PermissionDenied unless the user's role may take ``action`` on it.

    Opening a case shows personal data: the read is recorded in the audit trail, and
    counted (refused reads too, so guessing serials is no cheaper): beyond the account's
    budget, RateLimited (429) and an alert."""
    read_budget_take(user=user)
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


def child_receipt_get_for_user(*, user: User, serial: str) -> Case | None:
    """The child's case that ``user``, the clerk who registered it at their own station,
    may not open (only child protection may), for a receipt that says where it went and
    nothing of the child; None for any other case or user (who see the case, or nothing).
    The read is counted and audited like opening a case."""
    if not allows(user, Action.REGISTER) or allows(user, Action.VIEW_CHILDS_CASE):
        return None
    if user.station_id is None:
        return None
    case = (
        Case.objects.select_related("intake", "program", "station")
        .filter(intake__serial=serial, is_child=True, intake__clerk=user)
        .filter(station_id=user.station_id)
        .first()
    )
    if case is None:
        return None
    read_budget_take(user=user)
    audit_record(
        actor=user, action="case.receipt_read", obj_type="case", obj_id=str(case.pk),
        purpose="the receipt of a child's registration",
    )  # fmt: skip
    return case


def decision_get_for_user(
    *, user: User, decision_id: int, action: Action | None = None
) -> Decision:
    if action is not None:  # the role first: a 403 or a 404 would tell which ids exist
        require(user, action)
    visible = cases_visible_to(user=user)
    decision = Decision.objects.filter(pk=decision_id, case__in=visible).first()
    if decision is None:
        raise NotFound(f"no decision {decision_id} that you may see", field="decision")
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


@dataclass(frozen=True)
class CandidateShown:
    """A match candidate as one user may see it. When the other record is a case the user
    may not see (a child's, or one outside their programs or stations), the user learns
    only that a restricted record exists: not its serial, nor the evidence, which quotes
    its names, birth date and numbers."""

    candidate: MatchCandidate
    restricted: Literal["", "child", "out_of_scope"] = ""

    @property
    def other_serial(self) -> str | None:
        other = self.candidate.other_case
        return None if other is None or self.restricted else other.intake.serial

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return [] if self.restricted else list(self.candidate.evidence or [])

    @property
    def listing(self) -> dict[str, Any] | None:
        """For a list match: the list's name, version and source, the entry's reference,
        its aliases and the reason for listing, as far as the stored entry has them."""
        entry = None if self.restricted else self.candidate.list_entry
        if entry is None:
            return None
        record = json.loads(entry.record or "{}")
        screening_list = entry.screening_list
        return {
            "name": screening_list.name,
            "version": screening_list.version,
            "source": screening_list.source,
            "entry_id": entry.entry_id,
            "aliases": [str(a) for a in record.get("aliases") or ()],
            "reason": str(record.get("reason") or record.get("comments") or ""),
        }


QUEUE_SORTS = ("date", "-date", "score", "name")


@dataclass(frozen=True)
class QueueRow:
    """A case in review as the vetting queue lists it: its best open candidate's score and
    the kinds of its open candidates (sealed: read here, never filtered in the database)."""

    case: Case
    score: float
    kinds: tuple[str, ...]

    @property
    def handover_overdue(self) -> bool:
        """A child's case not handed over to child protection by its due time."""
        due, case = self.case.handover_due_at, self.case
        return bool(case.is_child and case.handed_over_at is None and due and due < timezone.now())

    @property
    def name_ar(self) -> str:
        p = self.case.intake.person
        return " ".join(n for n in (p.given_name_ar, p.father_name_ar, p.family_name_ar) if n)

    @property
    def name_lat(self) -> str:
        p = self.case.intake.person
        return " ".join(n for n in (p.given_name_lat, p.father_name_lat, p.family_name_lat) if n)


def review_queue(
    *,
    user: User,
    program: str = "",
    station: str = "",
    kind: str = "",
    sort: str = "date",
    latin: bool = False,
) -> list[QueueRow]:
    """The cases in review ``user`` may see, filtered by program and station codes and by
    the kind of an open candidate (duplicate, list), in the order ``sort`` names (by name:
    in Arabic script, or Latin when ``latin``; "overdue": children's hand-overs past their
    due time first, the most overdue first, then the oldest registrations)."""
    require(user, Action.SEE_REVIEW_QUEUE)
    cases = cases_visible_to(user=user).filter(state="in_review")
    if program:
        cases = cases.filter(program__code=program)
    if station:
        cases = cases.filter(station__code=station)
    by_case: dict[int, list[MatchCandidate]] = {}
    for candidate in MatchCandidate.objects.filter(case__in=cases, status="open"):
        by_case.setdefault(candidate.case_id, []).append(candidate)
    rows = []
    for case in cases:
        found = by_case.get(case.pk, [])
        kinds = tuple(sorted({str(c.kind) for c in found}))
        if kind and kind not in kinds:
            continue
        rows.append(QueueRow(case, max((c.score or 0.0 for c in found), default=0.0), kinds))
    keys = {
        "date": lambda r: (r.case.created_at, r.case.pk),
        "-date": lambda r: (-r.case.created_at.timestamp(), -r.case.pk),
        "score": lambda r: (-r.score, r.case.created_at),
        "name": lambda r: (r.name_lat or r.name_ar) if latin else (r.name_ar or r.name_lat),
        "overdue": lambda r: (
            not r.handover_overdue,
            r.case.handover_due_at if r.handover_overdue else r.case.created_at,
            r.case.pk,
        ),
    }
    return sorted(rows, key=keys.get(sort, keys["date"]))


def candidates_shown(*, user: User, candidates: Iterable[MatchCandidate]) -> list[CandidateShown]:
    """``candidates`` with every other case the user may not see restricted."""
    rows = list(candidates)
    others = {c.other_case.pk for c in rows if c.other_case is not None}
    visible = set(cases_visible_to(user=user).filter(pk__in=others).values_list("pk", flat=True))
    return [CandidateShown(candidate=c, restricted=_restriction(c, visible)) for c in rows]


def _restriction(
    candidate: MatchCandidate, visible: set[int]
) -> Literal["", "child", "out_of_scope"]:
    other = candidate.other_case
    if other is None or other.pk in visible:
        return ""
    return "child" if other.is_child else "out_of_scope"


def candidates_get_for_user(*, user: User, serial: str) -> list[CandidateShown]:
    """A case's match candidates: the role is asked first (403), then the case (404)."""
    require(user, Action.SEE_CANDIDATES)
    case = case_get_for_user(user=user, serial=serial)
    return candidates_shown(user=user, candidates=candidates_for_case(case_id=case.pk))


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


def program_served_check(*, user: User, program_id: int, field: str = "program") -> None:
    """NotFound, as for an unknown program, unless ``user`` serves it (or is not bound to
    programs)."""
    serves = Service.objects.filter(user=user, program_id=program_id).exists()
    if program_bound(user) and not serves:
        raise NotFound("no such program among those you serve", field=field)


def export_get_for_user(*, user: User, export_id: int, action: Action) -> ExportRequest:
    """An export request, for a role that may take ``action`` on exports: the role is
    asked first (403 whether or not the request exists), then the request (404), which
    must be of a program the user serves."""
    require(user, action)
    found = ExportRequest.objects.select_related("program", "requested_by", "approved_by")
    if program_bound(user):
        found = found.filter(program__in=Service.objects.filter(user=user).values("program"))
    request = found.filter(pk=export_id).first()
    if request is None:
        raise NotFound(f"no export {export_id}", field="id")
    return request


# What the desk (a role that may not see match candidates) is not shown: a case in review
# or with an adverse decision awaiting its second officer reads as in its state before;
# proposals and their rejection, and a review closed or reopened by a list, are not shown.
# The desk sees decisions once they take effect (it records appeals against them).
DESK_MASKED_STATES = frozenset({"in_review", "decision_pending"})
DESK_HIDDEN_EVENTS = frozenset(
    {
        "review_closed",
        "decision_proposed",
        "decision_rejected",
        "revocation_proposed",
        "revocation_rejected",
        "card_reinstatement_asked",
        "card_reinstatement_refused",
    }
)


def _sees_deliberation(user: User) -> bool:
    return allows(user, Action.SEE_CANDIDATES)


def state_shown(*, user: User, state: str, case: Any = None) -> str:
    """A case's state as ``user`` may see it: to a role that may not see match candidates
    (a clerk, a station device) a case in review, or awaiting a second officer's answer to
    an adverse proposal, is shown in the state it had before (from ``case``'s events;
    screened without them), so that whether a person looks like a list entry or another
    registration (at any station, a child's too), or what an officer proposed, is never told
    at the desk, on the receipt or in the answer to a registration. A screened child's case
    handed over to child protection is shown as with them."""
    return _with_child_protection(case, _state_shown(user=user, state=state, case=case))


def _state_shown(*, user: User, state: str, case: Any) -> str:
    if _sees_deliberation(user):
        return state
    # the desk's answer takes the same work whatever the state: a read that took longer
    # for a masked state told it apart (fourth red-team review)
    shown = events_shown(user=user, events=case.events.all()) if case is not None else []
    if state not in DESK_MASKED_STATES:
        return state
    return str(shown[-1].to_state) if shown else "screened"


# Shown, never stored: a screened child's case handed over to child protection is with
# them (its stored state stays screened; the hand-over is an event, not a move).
WITH_CHILD_PROTECTION = "with_child_protection"


def _with_child_protection(case: Any, shown: str) -> str:
    handed_over = case is not None and case.is_child and case.handed_over_at is not None
    return WITH_CHILD_PROTECTION if handed_over and shown == "screened" else shown


def events_shown(*, user: User, events: Iterable[Any]) -> list[Any]:
    """A case's events as ``user`` may see them (see ``state_shown``): to a role that may not
    see match candidates, a first review opened reads as the case screened, a review
    reopened or closed, a proposal and its rejection are not shown, and a masked state reads
    as the state shown before it."""
    if _sees_deliberation(user):
        return [_handover_shown(event) for event in events]
    shown: list[Any] = []
    for event in events:  # read for display only, never saved
        if event.event in DESK_HIDDEN_EVENTS or (
            event.event == "review_opened" and event.from_state != "registered"
        ):
            continue  # to the desk, nothing happened
        if event.event == "review_opened":
            event.event = "screened"  # as a case with no look-alike is screened
        before = shown[-1].to_state if shown else "screened"
        if event.from_state in DESK_MASKED_STATES:
            event.from_state = before
        if event.to_state in DESK_MASKED_STATES:
            event.to_state = before if event.event != "screened" else "screened"
        shown.append(_handover_shown(event))
    return shown


def _handover_shown(event: Any) -> Any:
    """The hand-over event of a screened child's case leads to the state shown after it."""
    if event.event == "child_handed_over" and event.to_state == "screened":
        event.to_state = WITH_CHILD_PROTECTION  # for display only, never saved
    return event
