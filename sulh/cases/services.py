"""Writes on cases: the state machine, proposals, decisions with four eyes, appeals.

Every change of a case goes through ``_transition``, which records who, when and
why, and hands the event to the transparency log in the same transaction. Steps that
take four eyes (an adverse decision, a revocation of eligibility, a card's reinstatement)
wait for a second, different officer through ``second_officer_answer``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import (
    Action,
    allows,
    require,
    require_not_registrar,
    require_second_officer,
)
from sulh.audit.services import audit_record, audit_record_soon
from sulh.cases import hooks
from sulh.cases.models import (
    ADVERSE_OUTCOMES,
    Case,
    CaseEvent,
    Decision,
    DecisionStatus,
    EligibilityRevocation,
    Outcome,
    State,
)
from sulh.cases.screening import case_candidates_open
from sulh.cases.selectors import cases_visible_to
from sulh.core.errors import Conflict, ValidationFailed
from sulh.core.validation import reason_clean
from sulh.keys.sealing import blind_index
from sulh.matching.candidates import (
    candidates_close_with_case,
    case_has_open_candidates,
    case_named_by_open_duplicates,
    case_screening_status,
)
from sulh.programs.definition import CaseFacts, Proposal
from sulh.programs.services import program_get_definition

# The allowed moves of a case; anything else is refused with a clear message.
TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({State.REGISTERED}),
    State.REGISTERED: frozenset({State.SCREENED, State.IN_REVIEW}),
    # a review closes back to screened, or to appealed when it voided a decision on appeal
    State.IN_REVIEW: frozenset({State.SCREENED, State.IN_REVIEW, State.APPEALED}),
    State.SCREENED: frozenset(
        {State.DECIDED, State.DECISION_PENDING, State.IN_REVIEW, State.SCREENED}
    ),
    # A pending decision is not final: it is confirmed, sent back (to screened, or to
    # appealed when it was the decision on an appeal) or voided, never appealed itself.
    State.DECISION_PENDING: frozenset(
        {State.DECIDED, State.SCREENED, State.APPEALED, State.IN_REVIEW}
    ),
    State.DECIDED: frozenset({State.CARD_ISSUED, State.APPEALED, State.ELIGIBILITY_REVOKED}),
    State.CARD_ISSUED: frozenset({State.CARD_ISSUED, State.ELIGIBILITY_REVOKED}),
    State.APPEALED: frozenset({State.DECIDED, State.DECISION_PENDING}),
    State.ELIGIBILITY_REVOKED: frozenset({State.APPEALED}),
}
# Any registration may turn out to be the same person's as another: it is then closed, for
# good, and the other carries the person's case on (``case_link_duplicates``).
TRANSITIONS = {
    state: moves | {State.DUPLICATE} if state else moves for state, moves in TRANSITIONS.items()
}
TRANSITIONS[State.DUPLICATE] = frozenset()
DECIDABLE_STATES = frozenset({State.SCREENED, State.APPEALED})
REASON_MAX = 2000


def _clean_reason(reason: str, *, required: bool) -> str:
    return reason_clean(reason, required=required, most=REASON_MAX)


def _transition(
    *,
    case: Case,
    to_state: str,
    event: str,
    actor: User | None,
    reason: str = "",
    outcome: str = "",
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Move ``case`` to ``to_state`` (conditionally, so two officers cannot both win)."""
    from_state = case.state
    if to_state not in TRANSITIONS.get(from_state, frozenset()):
        raise Conflict(
            f"a case that is {from_state or 'new'} cannot become {to_state}", field="state"
        )
    moved = Case.objects.filter(pk=case.pk, state=from_state).update(
        state=to_state, updated_at=timezone.now()
    )
    if moved != 1:
        raise Conflict("the case was changed by someone else; reload it", field="state")
    case.state = to_state
    record = CaseEvent.objects.create(
        case=case,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=at or timezone.now(),
        reason=reason,
        outcome=outcome,
        details=details or {},
    )
    audit_record_soon(
        actor=actor,
        action=f"case.{event}",
        obj_type="case",
        obj_id=str(case.pk),
        purpose=reason[:300],
        details={"from": from_state, "to": to_state, **({"outcome": outcome} if outcome else {})},
    )
    hooks.case_transitioned.fire(record)
    return record


def case_note(
    *,
    case: Case,
    event: str,
    actor: User,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Record a step that does not move the case (a request awaiting a second officer, or
    its answer) in the case's history and the audit trail."""
    record = CaseEvent.objects.create(
        case=case, event=event, from_state=case.state, to_state=case.state, actor=actor,
        at=timezone.now(), reason=reason, details=details or {},
    )  # fmt: skip
    audit_record_soon(actor=actor, action=f"case.{event}", obj_type="case", obj_id=str(case.pk))
    hooks.case_transitioned.fire(record)
    return record


def second_officer_answer(
    *,
    step: Any,
    user: User,
    action: Action,
    first: int,
    registered_by: int | None,
    reason: str,
    confirm: bool,
    what: str,
) -> None:
    """Four eyes, the second step: ``step`` (a Decision or a SecondOfficerRequest, locked
    by the caller) awaits a second officer; ``user``, who is neither the officer who took
    the first step nor the case's registrar, confirms it or sends it back with a reason."""
    if step.status != DecisionStatus.AWAITING_SECOND:
        raise Conflict(f"this {what} is not awaiting a second officer", field=what)
    require_second_officer(user, action, first=first)
    require_not_registrar(user, action, registered_by=registered_by)
    step.status = DecisionStatus.CONFIRMED if confirm else DecisionStatus.REJECTED
    step.second_officer = user
    step.second_at = timezone.now()
    # a confirmation is an officer's own judgement too: it says why, as a rejection does
    step.second_reason = _clean_reason(reason, required=True)
    step.save(update_fields=["status", "second_officer", "second_at", "second_reason"])


CHILD_HANDOVER = dt.timedelta(hours=48)


def case_open(*, case: Case, actor: User, at: dt.datetime) -> None:
    """Record the registration of a freshly created case, then screen it. A child's case
    starts the 48-hour clock for the hand-over to child protection."""
    if case.is_child:
        case.handover_due_at = at + CHILD_HANDOVER
        case.save(update_fields=["handover_due_at"])
    _transition(case=case, to_state=State.REGISTERED, event="registered", actor=actor, at=at)
    case_screen(case=case, actor=actor)


def child_handover_record(*, case: Case, user: User, agency: str) -> Case:
    """A child-protection officer records that the child was handed over, and to whom."""
    require(user, Action.RECORD_CHILD_HANDOVER)
    agency = " ".join((agency or "").split())
    if not 3 <= len(agency) <= 120:
        raise ValidationFailed("name the receiving agency (3 to 120 characters)", field="agency")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_child:
            raise Conflict("this is not a child's case", field="case")
        if case.handed_over_at is not None:
            raise Conflict("the hand-over is already recorded", field="case")
        case.handed_over_at, case.handed_over_to = timezone.now(), agency
        case.save(update_fields=["handed_over_at", "handed_over_to"])
        late = bool(case.handover_due_at and case.handed_over_at > case.handover_due_at)
        CaseEvent.objects.create(
            case=case, event="child_handed_over", from_state=case.state, to_state=case.state,
            actor=user, at=case.handed_over_at, details={"late": late},  # agency: sealed
        )  # fmt: skip
        audit_record(
            actor=user, action="case.child_handed_over", obj_type="case", obj_id=str(case.pk),
            details={"late": late},
        )  # fmt: skip
    return case


def children_awaiting_handover(*, user: User) -> Any:
    """Children's cases not yet handed over, the most urgent first (child protection)."""
    if not allows(user, Action.RECORD_CHILD_HANDOVER):
        return Case.objects.none()
    return (
        cases_visible_to(user=user)
        .filter(is_child=True, handed_over_at__isnull=True)
        .select_related("intake", "station")
        # the most overdue first; a case without a due time never comes before them
        .order_by(F("handover_due_at").asc(nulls_last=True), "pk")
    )


def case_screen(*, case: Case, actor: User | None) -> None:
    """Check duplicates and lists; open review when there are candidates, else propose."""
    candidates = case_candidates_open(case=case)
    if candidates:
        _transition(
            case=case,
            to_state=State.IN_REVIEW,
            event="review_opened",
            actor=actor,
            details={"candidates": len(candidates)},
        )
        case_propose(case=case)
        return
    _transition(case=case, to_state=State.SCREENED, event="screened", actor=actor)
    case_propose(case=case)


def case_review_closed(*, case: Case, actor: User) -> None:
    """All candidates resolved by a vetting officer: the case is screened again, or back
    under appeal when the review voided the decision on its appeal."""
    if case.state != State.IN_REVIEW:
        return
    opened = case.events.filter(event="review_opened").order_by("-pk").first()
    on_appeal = opened is not None and (opened.details or {}).get("back_to") == "appealed"
    to_state = State.APPEALED if on_appeal else State.SCREENED
    _transition(case=case, to_state=to_state, event="review_closed", actor=actor)
    case_propose(case=case)


def case_review_reopen(*, case: Case, actor: User | None, reason: str) -> None:
    """A new lead (a re-screen's list hit) for a case waiting on a decision: review again.
    A decision awaiting its second officer was taken without the lead: it is voided, and
    the case is decided afresh once the review closes."""
    if case.state in {State.SCREENED, State.DECISION_PENDING}:
        pending = Decision.objects.filter(case=case, status=DecisionStatus.AWAITING_SECOND)
        voided = list(pending.values_list("pk", flat=True))
        details: dict[str, Any] | None = {"voided_decisions": voided} if voided else None
        if details and pending.filter(on_appeal=True).exists():
            details["back_to"] = "appealed"  # the appeal still waits for its decision
        _transition(
            case=case, to_state=State.IN_REVIEW, event="review_opened", actor=actor, reason=reason,
            details=details,
        )  # fmt: skip
        pending.update(status=DecisionStatus.VOIDED)


SURVIVOR_CHOICES = ("", "this", "other")


def survivor_check(survivor: str) -> str:
    """Which of two linked registrations the officer keeps: ``this`` case, the ``other``,
    or empty for the rule (the earlier registration)."""
    if survivor not in SURVIVOR_CHOICES:
        raise ValidationFailed(
            "must be this, other, or empty for the earlier registration", field="survivor"
        )
    return survivor


def duplicate_index(*, survivor_id: int) -> str:
    """What a duplicate stores beside its sealed survivor: a keyed hash of the survivor's id,
    so that the survivor finds its duplicates without saying in clear which they are."""
    return blind_index(f"survivor:{survivor_id}", purpose="case-duplicate-of")


def case_survivor(case: Case) -> Case:
    """The case that carries ``case``'s person on: ``case`` itself, unless it was closed as
    a duplicate (then its survivor's survivor, and so on)."""
    seen: set[int] = set()
    while case.state == State.DUPLICATE and case.duplicate_of and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.select_related("intake").get(pk=int(case.duplicate_of))
    return case


def cases_duplicates_of(*, case: Case) -> QuerySet[Case]:
    """The registrations closed as duplicates of ``case``."""
    return Case.objects.filter(
        state=State.DUPLICATE, duplicate_of_index=duplicate_index(survivor_id=case.pk)
    ).select_related("intake")


def case_link_duplicates(
    *, case: Case, other: Case, actor: User, reason: str, survivor: str = ""
) -> Case | None:
    """An officer confirmed that ``case`` and ``other`` are one person (a duplicate
    candidate linked): one registration carries the case on, the other is closed as its
    duplicate. The survivor is the earlier registration, unless the officer chose ``this``
    (``case``) or ``other``; a registration closed before stands for its survivor. Within
    the caller's transaction. Returns the case closed, or None when nothing is closed: the
    two are one case already, or of different programs (a person may be in two), or one
    of them is a case ``actor`` may not see (a child's, for a vetting officer; an adult's,
    for child protection), which they do not close."""
    survivor_check(survivor)
    mine, theirs = case_survivor(case), case_survivor(other)
    if mine.pk == theirs.pk or mine.program_id != theirs.program_id:
        return None
    if cases_visible_to(user=actor).filter(pk__in=[mine.pk, theirs.pk]).count() != 2:
        return None
    locked = {  # in a fixed order, so that two officers linking the same pair take turns
        row.pk: row
        for row in Case.objects.select_for_update()
        .select_related("intake", "station", "program")
        .filter(pk__in=[mine.pk, theirs.pk])
        .order_by("pk")
    }
    mine, theirs = locked[mine.pk], locked[theirs.pk]
    if State.DUPLICATE in (mine.state, theirs.state):
        raise Conflict("the case was changed by someone else; reload it", field="state")
    if survivor == "this":
        keep, close = mine, theirs
    elif survivor == "other":
        keep, close = theirs, mine
    else:
        keep, close = sorted((mine, theirs), key=lambda row: (row.intake.received_at, row.pk))
    if case_screening_status(case_id=close.pk) != "clear":
        # its list match (open or confirmed) would be lost with it
        raise Conflict(
            f"registration {close.serial} has a possible or confirmed list match: resolve it "
            "first, or keep that registration as the one the case carries on as",
            field="survivor",
        )
    _close_duplicate(duplicate=close, survivor=keep, actor=actor, reason=reason)
    return close


def _close_duplicate(*, duplicate: Case, survivor: Case, actor: User, reason: str) -> None:
    """Close ``duplicate`` for good: what awaited a second officer on it is voided, its
    cards are revoked (``hooks.closed_as_duplicate``), and who closed it and why is in its
    history; the survivor's history says it took the duplicate's place."""
    pending = Decision.objects.filter(case=duplicate, status=DecisionStatus.AWAITING_SECOND)
    voided = list(pending.values_list("pk", flat=True))
    pending.update(status=DecisionStatus.VOIDED)
    EligibilityRevocation.objects.filter(
        case=duplicate, status=DecisionStatus.AWAITING_SECOND
    ).update(status=DecisionStatus.VOIDED)
    hooks.closed_as_duplicate.fire(
        hooks.DuplicateClosed(duplicate=duplicate, survivor=survivor, actor=actor, reason=reason)
    )
    duplicate.duplicate_of = str(survivor.pk)
    duplicate.duplicate_of_index = duplicate_index(survivor_id=survivor.pk)
    duplicate.save(update_fields=["duplicate_of", "duplicate_of_index", "updated_at"])
    _transition(
        case=duplicate, to_state=State.DUPLICATE, event="closed_as_duplicate", actor=actor,
        reason=reason, details={"voided_decisions": voided} if voided else None,
    )  # fmt: skip
    case_note(case=survivor, event="duplicate_linked", actor=actor, reason=reason)
    _close_candidates(duplicate=duplicate, survivor=survivor, actor=actor, reason=reason)


def _close_candidates(*, duplicate: Case, survivor: Case, actor: User, reason: str) -> None:
    """The duplicate's open look-alikes leave the vetting queue with it (and another case's
    that the survivor answers: ``candidates_close_with_case``); a case left with none open
    closes its review."""
    closed = candidates_close_with_case(
        case_id=duplicate.pk, survivor_id=survivor.pk, user=actor, reason=reason
    )
    for case_id in sorted({c.case_id for c in closed} - {duplicate.pk}):
        other = Case.objects.select_for_update().get(pk=case_id)
        if not case_has_open_candidates(case_id=other.pk):
            case_review_closed(case=other, actor=actor)


def case_facts(*, case: Case) -> CaseFacts:
    intake = case.intake
    items = list(intake.items.all())
    weapons = [item for item in items if item.kind == "weapon"]
    age = _age_from_band(intake.person.age_band)
    return CaseFacts(
        category=intake.category,
        affiliation=intake.affiliation or None,
        origin=intake.origin,
        screening=case_screening_status(case_id=case.pk),
        age=age if not intake.person.age_disputed else 17,
        family_size=intake.family.count(),
        weapons_surrendered=sum(item.quantity for item in weapons),
        heavy_weapons_surrendered=sum(item.quantity for item in weapons if item.heavy),
        has_id_document=any(item.kind == "id_document" for item in items),
        pledge_signed=intake.pledge_signed,
        requested_destination=intake.requested_destination or None,
    )


def _age_from_band(band: str) -> int | None:
    """The lower bound of the stored age band: the rules only ask 'is this a child'."""
    if not band or band == "unknown":
        return None
    return int(band.split("-")[0].rstrip("+"))


def case_propose(*, case: Case) -> Proposal:
    """Ask the program's rules for an outcome; store it with the rule that fired."""
    definition = program_get_definition(code=case.program.code)
    proposal = definition.propose(case_facts(case=case))
    case.proposed_outcome = proposal.outcome
    case.proposed_rule = proposal.rule_id
    case.proposed_destinations = list(proposal.destinations)
    case.proposal_explanation = proposal.explanation.model_dump()
    case.save(
        update_fields=[
            "proposed_outcome",
            "proposed_rule",
            "proposed_destinations",
            "proposal_explanation",
            "updated_at",
        ]
    )
    return proposal


def decision_record(
    *, case: Case, user: User, outcome: str, reason: str, destination: str = ""
) -> Decision:
    """An officer decides. Adverse outcomes wait for a second officer (four eyes)."""
    require(user, Action.DECIDE)
    if outcome not in Outcome.values:
        raise ValidationFailed(f"must be one of {', '.join(Outcome.values)}", field="outcome")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("intake", "program").get(pk=case.pk)
        if case.state not in DECIDABLE_STATES:
            raise Conflict(f"a case that is {case.state} cannot be decided now", field="state")
        case_look_alikes_resolved_check(case=case)
        require_not_registrar(user, Action.DECIDE, registered_by=case.intake.clerk_id)
        follows = outcome == case.proposed_outcome
        reason = _clean_reason(reason, required=(not follows) or outcome in ADVERSE_OUTCOMES)
        destination = _check_destination(case=case, outcome=outcome, destination=destination)
        adverse = outcome in ADVERSE_OUTCOMES
        now = timezone.now()
        decision = Decision.objects.create(
            case=case,
            outcome=outcome,
            destination=destination,
            follows_proposal=follows,
            rule_id=case.proposed_rule if follows else "",
            reason=reason,
            status=DecisionStatus.AWAITING_SECOND if adverse else DecisionStatus.CONFIRMED,
            decided_by=user,
            decided_at=now,
            on_appeal=case.state == State.APPEALED,
        )
        if adverse:
            _transition(
                case=case,
                to_state=State.DECISION_PENDING,
                event="decision_proposed",
                actor=user,
                reason=reason,
                outcome=outcome,
                details={"decision": decision.pk},
            )
        else:
            _apply_decision(case=case, decision=decision, actor=user, reason=reason)
    return decision


LOOK_ALIKE_OPEN = (
    "a later registration of what may be the same person is still in review: resolve that "
    "look-alike first, so that one person is not decided or carded twice"
)


def case_look_alikes_open(*, case: Case) -> bool:
    """Whether another registration's open candidate names ``case``, or a registration
    closed as its duplicate (the same person's)."""
    duplicates = cases_duplicates_of(case=case).values_list("pk", flat=True)
    return case_named_by_open_duplicates(case_id=case.pk, also=list(duplicates))


def case_look_alikes_resolved_check(*, case: Case) -> None:
    """Conflict while another registration's open candidate names ``case`` (or one of its
    closed duplicates): the walk through every role decided and carded one man while four
    more registrations of his were in review."""
    if case_look_alikes_open(case=case):
        raise Conflict(LOOK_ALIKE_OPEN, field="state")


def _check_destination(*, case: Case, outcome: str, destination: str) -> str:
    if outcome != Outcome.DEPARTURE:
        if destination:
            raise ValidationFailed("only a departure has a destination", field="destination")
        return ""
    definition = program_get_definition(code=case.program.code)
    permitted = definition.destinations_for(case.intake.affiliation or None)
    allowed = ", ".join(permitted) or "none"
    if not destination:
        if case.intake.requested_destination in permitted:
            return case.intake.requested_destination
        if len(permitted) == 1:
            return permitted[0]
        raise ValidationFailed(f"is required; permitted: {allowed}", field="destination")
    if destination not in permitted:
        raise ValidationFailed(
            f"is not permitted for this person; permitted: {allowed}", field="destination"
        )
    return destination


def _apply_decision(*, case: Case, decision: Decision, actor: User, reason: str) -> None:
    case.outcome = decision.outcome
    case.destination = decision.destination
    case.decided_at = timezone.now()
    case.save(update_fields=["outcome", "destination", "decided_at", "updated_at"])
    _transition(
        case=case,
        to_state=State.DECIDED,
        event="decision_taken",
        actor=actor,
        reason=reason,
        outcome=decision.outcome,
        # not the rule that fired: with the program's text it says affiliation, origin and
        # destination, and it is sealed on the decision
        details={"decision": decision.pk, "appeal": decision.on_appeal},
    )


def decision_confirm(*, decision: Decision, user: User, reason: str = "") -> Decision:
    """The second officer confirms an adverse decision."""
    return _second_officer(decision=decision, user=user, reason=reason, confirm=True)


def decision_reject(*, decision: Decision, user: User, reason: str) -> Decision:
    """The second officer sends an adverse decision back; the case can be decided again."""
    return _second_officer(decision=decision, user=user, reason=reason, confirm=False)


def _second_officer(*, decision: Decision, user: User, reason: str, confirm: bool) -> Decision:
    action = Action.CONFIRM_ADVERSE_DECISION
    require(user, action)
    with transaction.atomic():
        decision = Decision.objects.select_for_update().select_related("case").get(pk=decision.pk)
        second_officer_answer(
            step=decision, user=user, action=action, first=decision.decided_by_id,
            registered_by=decision.case.intake.clerk_id, reason=reason, confirm=confirm,
            what="decision",
        )  # fmt: skip
        reason = decision.second_reason
        case = Case.objects.select_for_update().get(pk=decision.case_id)
        if case.state != State.DECISION_PENDING:
            raise Conflict("the case is no longer awaiting this decision", field="decision")
        if confirm:
            _apply_decision(case=case, decision=decision, actor=user, reason=reason)
        else:
            # A re-decision on appeal that is sent back stays an open appeal.
            back = State.APPEALED if decision.on_appeal else State.SCREENED
            _transition(
                case=case,
                to_state=back,
                event="decision_rejected",
                actor=user,
                reason=reason,
                outcome=decision.outcome,
                details={"decision": decision.pk},
            )
    return decision


def case_appealable(case: Case) -> bool:
    """Only a final adverse step is appealed: a confirmed referral or denial, or a confirmed
    revocation of eligibility. A decision still awaiting its second officer is not final."""
    if case.state == State.ELIGIBILITY_REVOKED:
        return True
    return case.state == State.DECIDED and case.outcome in ADVERSE_OUTCOMES


def case_appeal(*, case: Case, user: User, reason: str) -> None:
    """Record an appeal against a confirmed adverse decision or a revocation; deciders
    decide again. An appeal refused here changes nothing: it can be made once it is due."""
    require(user, Action.RECORD_APPEAL)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case_appealable(case):
            # The message does not name the case's state: to a clerk, "in review" would
            # say that the person looks like a list entry or another registration.
            raise Conflict(
                "only a confirmed referral or denial, or a confirmed revocation of "
                "eligibility, can be appealed; this case has none",
                field="state",
            )
        _transition(case=case, to_state=State.APPEALED, event="appealed", actor=user, reason=reason)


def case_revoke_eligibility(*, case: Case, user: User, reason: str) -> EligibilityRevocation:
    """Evidence emerged after the decision: a deciding officer proposes to revoke the
    case's eligibility, with a reason. Nothing changes until a second deciding officer
    confirms it (``revocation_confirm``)."""
    require(user, Action.REVOKE_ELIGIBILITY)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if State.ELIGIBILITY_REVOKED not in TRANSITIONS.get(case.state, frozenset()):
            raise Conflict(
                f"a case that is {case.get_state_display()} cannot have its eligibility revoked",
                field="state",
            )
        if case.revocations.filter(status=DecisionStatus.AWAITING_SECOND).exists():
            raise Conflict(
                "a revocation of this case already awaits a second officer", field="case"
            )
        revocation = EligibilityRevocation.objects.create(
            case=case, reason=reason, requested_by=user, requested_at=timezone.now()
        )
        case_note(
            case=case, event="revocation_proposed", actor=user, reason=reason,
            details={"revocation": revocation.pk},
        )  # fmt: skip
    return revocation


def revocation_pending(*, case: Case) -> EligibilityRevocation | None:
    return case.revocations.filter(status=DecisionStatus.AWAITING_SECOND).first()


def revocation_confirm(*, case: Case, user: User, reason: str = "") -> EligibilityRevocation:
    """The second deciding officer confirms the revocation: eligibility is revoked, and the
    case's cards with it."""
    return _revocation_answer(case=case, user=user, reason=reason, confirm=True)


def revocation_reject(*, case: Case, user: User, reason: str) -> EligibilityRevocation:
    """The second deciding officer sends the revocation back: the case stays as it was."""
    return _revocation_answer(case=case, user=user, reason=reason, confirm=False)


def _revocation_answer(
    *, case: Case, user: User, reason: str, confirm: bool
) -> EligibilityRevocation:
    action = Action.CONFIRM_REVOCATION
    require(user, action)
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("intake").get(pk=case.pk)
        revocation = (
            EligibilityRevocation.objects.select_for_update()
            .filter(case=case, status=DecisionStatus.AWAITING_SECOND)
            .first()
        )
        if revocation is None:
            raise Conflict("no revocation of this case awaits a second officer", field="case")
        second_officer_answer(
            step=revocation, user=user, action=action, first=revocation.requested_by_id,
            registered_by=case.intake.clerk_id, reason=reason, confirm=confirm,
            what="revocation",
        )  # fmt: skip
        details = {"revocation": revocation.pk}
        if not confirm:
            case_note(
                case=case, event="revocation_rejected", actor=user,
                reason=revocation.second_reason, details=details,
            )  # fmt: skip
            return revocation
        _transition(
            case=case, to_state=State.ELIGIBILITY_REVOKED, event="eligibility_revoked",
            actor=user, reason=revocation.reason, details=details,
        )  # fmt: skip
        hooks.eligibility_revoked.fire(case)
    return revocation


def case_record_event(
    *,
    case: Case,
    to_state: str,
    event: str,
    actor: User | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """For other packages (cards, departures): record a case event through the state machine."""
    return _transition(
        case=case, to_state=to_state, event=event, actor=actor, reason=reason, details=details
    )


def case_erase_reasons(*, case: Case, now: dt.datetime) -> None:
    """Retention: the free-text reasons of the case's events and decisions are blanked and
    the case marked erased; its states, outcome and counted events stay."""
    CaseEvent.objects.filter(case=case).update(reason="")
    Decision.objects.filter(case=case).update(reason="", second_reason="")
    EligibilityRevocation.objects.filter(case=case).update(reason="", second_reason="")
    Case.objects.filter(pk=case.pk).update(erased_at=now)
