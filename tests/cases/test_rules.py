"""The rules with holes an insider used (issue #16, F12), each attack now refused: revoking
eligibility alone, appealing a pending decision (and so using the appeal up), confirming a
decision a re-screen sent back to review."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cases.lists import list_import
from sulh.cases.models import Case, DecisionStatus, State
from sulh.core.errors import Conflict, PermissionDenied, ValidationFailed
from sulh.core.validation import parse
from sulh.matching.batch import COLUMNS
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, 0, tzinfo=dt.UTC)


def _case(personas: dict[str, Any], **overrides: Any) -> Case:
    payload = make_intake(PROGRAM, submitted_at=WHEN, origin="local", **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def _granted(personas: dict[str, Any]) -> Case:
    case = _case(personas)
    services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    case.refresh_from_db()
    return case


def _denied(personas: dict[str, Any], *, confirm: bool) -> tuple[Case, Any]:
    case = _case(personas)
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="pledge refused"
    )
    if confirm:
        services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    return case, decision


# --- Eligibility revocation takes four eyes -------------------------------------------------


def test_one_deciding_officer_alone_cannot_revoke_eligibility(personas, programs):
    case = _granted(personas)
    revocation = services.case_revoke_eligibility(
        case=case, user=personas["decider"], reason="evidence of a serious crime"
    )
    case.refresh_from_db()
    assert case.state == State.DECIDED and revocation.status == DecisionStatus.AWAITING_SECOND
    with pytest.raises(PermissionDenied) as alone:
        services.revocation_confirm(case=case, user=personas["decider"], reason="")
    assert alone.value.field == "user" and "second, different officer" in alone.value.message
    for persona in ("clerk", "vetter", "card_officer", "manager", "admin"):
        with pytest.raises(PermissionDenied):
            services.revocation_confirm(case=case, user=personas[persona])
    with pytest.raises(Conflict):  # nor a second proposal to confirm later alone
        services.case_revoke_eligibility(case=case, user=personas["decider"], reason="again")
    case.refresh_from_db()
    assert case.state == State.DECIDED
    services.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    assert case.state == State.ELIGIBILITY_REVOKED
    events = list(case.events.values_list("event", "actor__username"))
    assert events[-2:] == [
        ("revocation_proposed", "decider-fadi"),
        ("eligibility_revoked", "decider-ghada"),
    ]


def test_a_revocation_sent_back_changes_nothing_and_needs_a_reason(personas, programs):
    case = _granted(personas)
    services.case_revoke_eligibility(case=case, user=personas["decider"], reason="a rumour")
    with pytest.raises(ValidationFailed) as blank:
        services.revocation_reject(case=case, user=personas["decider2"], reason=" ")
    assert blank.value.field == "reason"
    services.revocation_reject(case=case, user=personas["decider2"], reason="nothing on file")
    case.refresh_from_db()
    assert case.state == State.DECIDED
    with pytest.raises(Conflict):
        services.revocation_confirm(case=case, user=personas["decider2"])


# --- Appeals only against a final adverse decision --------------------------------------------


def test_a_pending_adverse_decision_cannot_be_appealed_and_the_appeal_is_not_used_up(
    personas, programs
):
    case, decision = _denied(personas, confirm=False)
    assert case.state == State.DECISION_PENDING
    with pytest.raises(Conflict) as early:
        services.case_appeal(case=case, user=personas["clerk"], reason="new papers")
    assert early.value.field == "state" and "confirmed" in early.value.message
    case.refresh_from_db()
    assert case.state == State.DECISION_PENDING
    assert not case.events.filter(event="appealed").exists()
    services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    case.refresh_from_db()
    assert (case.state, case.outcome) == (State.DECIDED, "denial")
    services.case_appeal(case=case, user=personas["clerk"], reason="new papers")  # still due
    case.refresh_from_db()
    assert case.state == State.APPEALED
    again = services.decision_record(
        case=case, user=personas["decider2"], outcome="amnesty", reason="papers verified"
    )
    assert again.on_appeal


def test_a_favourable_decision_is_not_appealed(personas, programs):
    case = _granted(personas)
    with pytest.raises(Conflict) as caught:
        services.case_appeal(case=case, user=personas["clerk"], reason="why not")
    assert caught.value.field == "state"


def test_a_confirmed_revocation_can_be_appealed(personas, programs):
    case = _granted(personas)
    services.case_revoke_eligibility(case=case, user=personas["decider"], reason="evidence")
    services.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    services.case_appeal(case=case, user=personas["vetter"], reason="the evidence was forged")
    case.refresh_from_db()
    assert case.state == State.APPEALED


# --- A re-screen that reopens review voids a pending decision ---------------------------------


SAMER = {
    "given_name_ar": "سامر", "father_name_ar": "وائل", "family_name_ar": "الدرويش",
    "mother_name_ar": "سلمى القاسم", "given_name_lat": "", "family_name_lat": "",
    "birth_date": "1988-04-12", "national_id": "40112233445",
}  # fmt: skip


def _wanted_list(tmp_path: Path) -> Path:
    path = tmp_path / "wanted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "aliases"])
        writer.writerow(["W-17", "Samer", "Wael", "Darwish", "", "", "1988", "", "", "Abu Wael"])
    return path


def test_a_rescreen_voids_the_pending_adverse_decision(personas, programs, tmp_path):
    from sulh.cases.review import candidate_resolve

    case = _case(personas, person=SAMER)
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="pledge refused"
    )
    list_import(path=_wanted_list(tmp_path), name="wanted", user=None)
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.state == State.IN_REVIEW and decision.status == DecisionStatus.VOIDED
    candidate_resolve(
        candidate=next(c for c in case.candidates.all() if c.kind == "list"), user=personas["vetter"], decision="clear",
        reason="a different man: other mother",
    )  # fmt: skip
    case.refresh_from_db()
    assert case.state == State.SCREENED
    # The attack: confirm the decision taken before the lead; it is void.
    with pytest.raises(Conflict) as caught:
        services.decision_confirm(decision=decision, user=personas["decider2"], reason="ok")
    assert caught.value.field == "decision"
    case.refresh_from_db()
    assert (case.state, case.outcome) == (State.SCREENED, "")
    assert not case.decisions.filter(status=DecisionStatus.AWAITING_SECOND).exists()
