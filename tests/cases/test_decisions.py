"""Officers decide; adverse decisions need a second officer; every move is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, DecisionStatus, State
from sulh.core.errors import Conflict, PermissionDenied, SulhError, ValidationFailed
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, 0, tzinfo=dt.UTC)


def _case(personas: dict[str, Any], **overrides: Any) -> Case:
    payload = make_intake(PROGRAM, submitted_at=WHEN, **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def test_it_proposes_with_the_rule_that_fired(personas, programs):
    case = _case(personas, origin="local")
    assert case.state == State.SCREENED
    assert case.proposed_outcome == "amnesty"
    assert case.proposed_rule
    assert case.proposal_explanation["en"]


def test_a_non_adverse_decision_needs_one_officer(personas, programs):
    case = _case(personas, origin="local")
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="amnesty", reason=""
    )
    case.refresh_from_db()
    assert decision.status == DecisionStatus.CONFIRMED
    assert case.state == State.DECIDED and case.outcome == "amnesty"


def test_an_adverse_decision_waits_for_a_second_officer(personas, programs):
    case = _case(personas, origin="local")
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="pledge refused at the desk"
    )
    case.refresh_from_db()
    assert case.state == State.DECISION_PENDING and case.outcome == ""
    with pytest.raises(PermissionDenied):
        services.decision_confirm(decision=decision, user=personas["decider"], reason="")
    services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    assert case.state == State.DECIDED and case.outcome == "denial"


def test_a_second_officer_can_send_an_adverse_decision_back(personas, programs):
    case = _case(personas, origin="local")
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="referral", reason="suspected"
    )
    with pytest.raises(SulhError) as caught:
        services.decision_reject(decision=decision, user=personas["decider2"], reason="")
    assert caught.value.field == "reason"
    services.decision_reject(
        decision=decision, user=personas["decider2"], reason="no evidence on file"
    )
    case.refresh_from_db()
    assert case.state == State.SCREENED


def test_departing_from_the_proposal_needs_a_reason(personas, programs):
    case = _case(personas, origin="local")
    with pytest.raises(SulhError) as caught:
        services.decision_record(
            case=case, user=personas["decider"], outcome="departure", reason=""
        )
    assert caught.value.field == "reason"


def test_only_deciding_officers_decide(personas, programs):
    case = _case(personas, origin="local")
    for persona in ("clerk", "vetter", "card_officer", "manager", "admin"):
        with pytest.raises(PermissionDenied):
            services.decision_record(
                case=case, user=personas[persona], outcome="amnesty", reason=""
            )


def test_a_decided_case_cannot_be_decided_twice(personas, programs):
    case = _case(personas, origin="local")
    services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    with pytest.raises(Conflict):
        services.decision_record(case=case, user=personas["decider2"], outcome="amnesty", reason="")


def test_an_appeal_reopens_the_decision(personas, programs):
    case = _case(personas, origin="local")
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="x"
    )
    services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    services.case_appeal(case=case, user=personas["clerk"], reason="new identity papers presented")
    case.refresh_from_db()
    assert case.state == State.APPEALED
    again = services.decision_record(
        case=case, user=personas["decider2"], outcome="amnesty", reason="papers verified"
    )
    case.refresh_from_db()
    assert again.on_appeal and case.state == State.DECIDED and case.outcome == "amnesty"


def test_eligibility_can_be_revoked_with_a_reason(personas, programs):
    case = _case(personas, origin="local")
    services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    with pytest.raises(SulhError):
        services.case_revoke_eligibility(case=case, user=personas["decider"], reason=" ")
    services.case_revoke_eligibility(
        case=case, user=personas["decider"], reason="evidence of a serious crime"
    )
    case.refresh_from_db()
    assert case.state == State.DECIDED  # proposed: a second deciding officer confirms
    services.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    assert case.state == State.ELIGIBILITY_REVOKED


def test_every_transition_is_recorded_with_who_and_why(personas, programs):
    case = _case(personas, origin="local")
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="why 1"
    )
    services.decision_confirm(decision=decision, user=personas["decider2"], reason="why 2")
    events = [
        (e.event, e.from_state, e.to_state, e.actor.username, e.reason)
        for e in case.events.select_related("actor")
    ]
    assert events == [
        ("registered", "", "registered", "clerk-amal", ""),
        ("screened", "registered", "screened", "clerk-amal", ""),
        ("decision_proposed", "screened", "decision_pending", "decider-fadi", "why 1"),
        ("decision_taken", "decision_pending", "decided", "decider-ghada", "why 2"),
    ]


def test_a_child_is_handed_over_within_48_hours(personas, programs):
    from sulh.cases.services import (
        CHILD_HANDOVER,
        child_handover_record,
        children_awaiting_handover,
    )

    payload = make_intake(
        "aleppo-2016-amnesty", submitted_at=WHEN, person={"birth_date": "2001-02-02"}
    )
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    assert case.is_child and case.handover_due_at == WHEN + CHILD_HANDOVER
    officer = personas["child_protection"]
    assert list(children_awaiting_handover(user=officer)) == [case]
    assert not children_awaiting_handover(user=personas["decider"]).exists()
    with pytest.raises(PermissionDenied):
        child_handover_record(case=case, user=personas["clerk"], agency="UNICEF Aleppo")
    with pytest.raises(ValidationFailed) as short:
        child_handover_record(case=case, user=officer, agency="x")
    assert short.value.field == "agency"
    child_handover_record(case=case, user=officer, agency="UNICEF Aleppo")
    case.refresh_from_db()
    assert case.handed_over_to == "UNICEF Aleppo"
    assert not children_awaiting_handover(user=officer).exists()
    event = case.events.get(event="child_handed_over")
    assert event.details["late"] is True  # registered in 2016, recorded now
