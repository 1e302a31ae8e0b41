"""Each seed program, end to end: people go through intake and decision, and the
outcomes are the ones the program's rules must give."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, State
from sulh.core.errors import IntakeWindowClosed, SulhError
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _register(personas: dict[str, Any], program: str, when: dt.datetime, **overrides: Any) -> Case:
    payload = make_intake(program, submitted_at=when, **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when).case


def _decide_as_proposed(personas: dict[str, Any], case: Case, destination: str = "") -> Case:
    decision = services.decision_record(
        case=case,
        user=personas["decider"],
        outcome=case.proposed_outcome,
        reason="as proposed",
        destination=destination,
    )
    if decision.status == "awaiting_second":
        services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    return case


class TestAleppo2016Amnesty:
    program = "aleppo-2016-amnesty"
    when = _utc(2016, 8, 20, 9)

    def test_locals_are_amnestied_and_non_locals_offered_departure(self, personas, programs):
        local = _decide_as_proposed(
            personas, _register(personas, self.program, self.when, origin="local")
        )
        away = _register(personas, self.program, self.when, origin="non_local")
        assert (local.state, local.outcome, local.proposed_rule) == (
            State.DECIDED,
            "amnesty",
            "local-amnesty",
        )
        assert away.proposed_outcome == "departure"
        assert away.proposed_destinations == ["idlib", "western-rural-aleppo"]
        away = _decide_as_proposed(personas, away, destination="western-rural-aleppo")
        assert (away.outcome, away.destination) == ("departure", "western-rural-aleppo")

    def test_an_unsigned_pledge_is_refused_by_two_officers(self, personas, programs):
        case = _register(
            personas,
            self.program,
            self.when,
            pledge={"version": "2016.1", "language": "ar", "signed": False},
        )
        assert (case.proposed_outcome, case.proposed_rule) == ("denial", "pledge-refused")
        case = _decide_as_proposed(personas, case)
        assert case.outcome == "denial"
        assert case.decisions.get().second_officer == personas["decider2"]

    def test_a_child_is_never_given_an_adverse_outcome(self, personas, programs):
        case = _register(personas, self.program, self.when, person={"birth_date": "2003-05-01"})
        assert case.is_child
        assert (case.proposed_outcome, case.proposed_rule) == ("amnesty", "child-handover")

    def test_after_the_deadline_an_intake_is_refused(self, personas, programs):
        late = _utc(2016, 10, 29, 9)
        with pytest.raises(IntakeWindowClosed) as caught:
            _register(personas, self.program, late)
        assert "2016-10-28" in caught.value.message
        assert Case.objects.count() == 0


class TestAleppo2016Evacuation:
    program = "aleppo-2016-evacuation"
    when = _utc(2016, 10, 21, 9)

    def test_fighters_who_lay_down_arms_leave_with_their_families(self, personas, programs):
        family = [
            {"relation": "spouse", "name_ar": "مريم", "sex": "female"},
            {"relation": "child", "name_lat": "Omar", "sex": "male", "birth_year": 2012},
        ]
        case = _decide_as_proposed(
            personas, _register(personas, self.program, self.when, family=family)
        )
        assert (case.outcome, case.destination) == ("departure", "idlib")
        assert case.intake.family.count() == 2

    def test_a_fighter_who_keeps_his_weapon_is_not_evacuated(self, personas, programs):
        case = _register(personas, self.program, self.when, items=[])
        assert (case.proposed_outcome, case.proposed_rule) == ("denial", "arms-not-laid-down")

    def test_the_ultimatum_expires(self, personas, programs):
        with pytest.raises(IntakeWindowClosed):
            _register(personas, self.program, _utc(2016, 10, 22, 17))


class TestAleppo2016SafePassage:
    program = "aleppo-2016-safe-passage"
    when = _utc(2016, 12, 16, 9)

    def test_the_restricted_group_may_go_to_idlib_only(self, personas, programs):
        case = _register(
            personas,
            self.program,
            self.when,
            affiliation="jabhat-fateh-al-sham",
            requested_destination="northern-rural-aleppo",
        )
        assert (case.proposed_outcome, case.proposed_rule) == (
            "departure",
            "restricted-group-idlib-only",
        )
        assert case.proposed_destinations == ["idlib"]
        with pytest.raises(SulhError) as caught:
            services.decision_record(
                case=case,
                user=personas["decider"],
                outcome="departure",
                reason="",
                destination="northern-rural-aleppo",
            )
        assert caught.value.field == "destination"
        case = _decide_as_proposed(personas, case, destination="idlib")
        assert case.destination == "idlib"

    def test_others_go_to_the_destination_they_choose(self, personas, programs):
        case = _register(
            personas,
            self.program,
            self.when,
            affiliation="ahrar-al-sham",
            requested_destination="northern-rural-aleppo",
        )
        assert case.proposed_destinations[0] == "northern-rural-aleppo"
        assert set(case.proposed_destinations) == {
            "idlib",
            "western-rural-aleppo",
            "northern-rural-aleppo",
        }
        case = _decide_as_proposed(personas, case, destination="northern-rural-aleppo")
        assert case.destination == "northern-rural-aleppo"


class TestAleppo201648hWithdrawal:
    program = "aleppo-2016-48h-withdrawal"

    def test_inside_the_48_hours_fighters_leave(self, personas, programs):
        start = _utc(2016, 12, 16, 4)  # 06:00 in Aleppo
        case = _register(personas, self.program, start + dt.timedelta(hours=47))
        with pytest.raises(SulhError) as caught:
            services.decision_record(
                case=case, user=personas["decider"], outcome="departure", reason=""
            )
        assert caught.value.field == "destination"
        assert "idlib, western-rural-aleppo" in caught.value.message
        case = _decide_as_proposed(personas, case, destination="idlib")
        assert (case.outcome, case.destination) == ("departure", "idlib")

    def test_the_window_is_hard(self, personas, programs):
        start = _utc(2016, 12, 16, 4)
        with pytest.raises(IntakeWindowClosed):
            _register(personas, self.program, start + dt.timedelta(hours=48, seconds=1))
        with pytest.raises(IntakeWindowClosed):
            _register(personas, self.program, start - dt.timedelta(seconds=1))


class TestAleppo2024Defectors:
    program = "aleppo-2024-defectors"
    when = _utc(2024, 12, 3, 9)
    with_id = [
        {"kind": "weapon", "weapon_type": "rifle", "serial_number": "AK551023"},
        {"kind": "id_document", "document_type": "military_id"},
    ]

    @pytest.mark.parametrize(
        "force", ["army", "security", "police", "auxiliary-forces", "popular-committees"]
    )
    def test_former_forces_receive_the_settlement(self, personas, programs, force):
        case = _register(personas, self.program, self.when, affiliation=force, items=self.with_id)
        case = _decide_as_proposed(personas, case)
        assert (case.outcome, case.proposed_rule) == ("amnesty", "settlement-card")

    def test_someone_outside_the_listed_forces_is_not_eligible(self, personas, programs):
        case = _register(personas, self.program, self.when, items=self.with_id)
        assert (case.proposed_outcome, case.proposed_rule) == ("denial", "not-a-listed-force")

    def test_without_identification_identity_is_checked_first(self, personas, programs):
        case = _register(personas, self.program, self.when, affiliation="police")
        assert (case.proposed_outcome, case.proposed_rule) == ("referral", "identity-unverified")

    def test_the_offer_ends_on_friday_6_december_2024(self, personas, programs):
        last_minute = _utc(2024, 12, 6, 20, 59)  # 23:59 in Aleppo
        _register(personas, self.program, last_minute, affiliation="army", items=self.with_id)
        with pytest.raises(IntakeWindowClosed) as caught:
            _register(
                personas,
                self.program,
                _utc(2024, 12, 6, 21, 1),
                affiliation="army",
                items=self.with_id,
            )
        assert "2024-12-06 23:59" in caught.value.message
