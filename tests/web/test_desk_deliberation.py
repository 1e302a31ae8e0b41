"""Fourth red-team review: the desk (a clerk, a station device) saw what officers
deliberate. An adverse proposal awaiting its second officer showed on the case page and in
the events API ("Decision awaiting a second officer: Denial"), a proposal the second
officer sent back stayed in the history for good, a new list hit on a case with a pending
proposal made it jump back to "screened" without a word, and a decision's number answered
403 at the clerk's station and 404 elsewhere. The desk now sees a decision when it takes
effect, and nothing before."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sulh.cases import review
from sulh.cases import services as case_services
from sulh.cases.models import Case, Decision
from tests.clients import api_client
from tests.conftest import make_intake
from tests.web.test_intake_check_oracle import PROGRAM, _client, _import_wanted

pytestmark = pytest.mark.django_db


def _register(desk, given: str, family: str) -> str:
    body = make_intake(PROGRAM, person={"given_name_lat": given, "family_name_lat": family,
                                        "birth_date": "1979-05-05"})  # fmt: skip
    return desk.post("/api/intakes", body, content_type="application/json").json()["serial"]


def _desk_view(personas, serial: str) -> tuple:
    desk = api_client(personas["clerk2"])
    case = desk.get(f"/api/cases/{serial}").json()
    events = [
        (e["event"], e["from_state"], e["to_state"], e.get("outcome"))
        for e in desk.get(f"/api/cases/{serial}/events").json()
    ]
    page = _client(personas["clerk2"]).get(f"/cases/{serial}/").content.decode()
    return case["state"], case["outcome"], events, "Denial" in page, "second officer" in page


def _propose_denial(personas, serial: str) -> Decision:
    case = Case.objects.get(intake__serial=serial)
    return case_services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="a made-up reason"
    )


def test_the_desk_sees_no_proposal_until_it_takes_effect(personas, open_program):
    desk = api_client(personas["clerk2"])
    proposed, untouched = _register(desk, "Yusuf", "Qadri"), _register(desk, "Tamer", "Haddad")
    decision = _propose_denial(personas, proposed)
    assert Case.objects.get(intake__serial=proposed).state == "decision_pending"
    assert _desk_view(personas, proposed) == _desk_view(personas, untouched)
    assert _desk_view(personas, untouched)[0] == "screened"
    # sent back by the second officer: nothing stays in the desk's history
    case_services.decision_reject(decision=decision, user=personas["decider2"], reason="no")
    assert _desk_view(personas, proposed) == _desk_view(personas, untouched)
    # confirmed: now it takes effect, and the desk sees it (it records the appeal)
    decision = _propose_denial(personas, proposed)
    case_services.decision_confirm(decision=decision, user=personas["decider2"], reason="yes")
    state, outcome, events, *_ = _desk_view(personas, proposed)
    assert (state, outcome) == ("decided", "denial")
    assert [e[0] for e in events] == ["registered", "screened", "decision_taken"]
    assert events[-1][1] == "screened"  # from the state the desk saw, not "awaiting"


def test_a_list_hit_on_a_pending_proposal_changes_nothing_at_the_desk(
    personas, open_program, tmp_path: Path
):
    desk = api_client(personas["clerk2"])
    listed, other = _register(desk, "Khaled", "Nasser"), _register(desk, "Yusuf", "Qadri")
    _propose_denial(personas, listed)
    _propose_denial(personas, other)
    before = _desk_view(personas, listed)
    _import_wanted(tmp_path, birth="1979-05-05")  # names Khaled Nasser: his case reopens
    assert Case.objects.get(intake__serial=listed).state == "in_review"
    assert _desk_view(personas, listed) == before == _desk_view(personas, other)


def test_a_decision_number_tells_the_desk_nothing(personas, open_program):
    desk = api_client(personas["clerk2"])
    decision = _propose_denial(personas, _register(desk, "Yusuf", "Qadri"))
    ours = desk.post(f"/api/decisions/{decision.pk}/confirm", {"reason": "x"},
                     content_type="application/json")  # fmt: skip
    unknown = desk.post(f"/api/decisions/{decision.pk + 999}/confirm", {"reason": "x"},
                        content_type="application/json")  # fmt: skip
    assert ours.status_code == unknown.status_code == 403
    assert ours.json() == unknown.json()


def _appealed_with_a_pending_denial(personas, serial: str) -> None:
    decision = _propose_denial(personas, serial)
    case_services.decision_confirm(decision=decision, user=personas["decider2"], reason="yes")
    case = Case.objects.get(intake__serial=serial)
    case_services.case_appeal(case=case, user=personas["clerk2"], reason="he asks again")
    _propose_denial(personas, serial)  # the decision on the appeal, awaiting its second


def test_a_list_hit_on_a_pending_decision_on_appeal_keeps_the_appeal(
    personas, open_program, tmp_path: Path
):
    """Fifth red-team review: the review a list hit opened on a case whose decision on
    appeal was pending closed to "screened": the appeal was lost, and the desk saw the case
    jump from appealed to screened."""
    desk = api_client(personas["clerk2"])
    listed, other = _register(desk, "Khaled", "Nasser"), _register(desk, "Yusuf", "Qadri")
    for serial in (listed, other):
        _appealed_with_a_pending_denial(personas, serial)
    before = _desk_view(personas, listed)
    assert before[0] == "appealed" and before == _desk_view(personas, other)
    _import_wanted(tmp_path, birth="1979-05-05")
    case = Case.objects.get(intake__serial=listed)
    assert case.state == "in_review"
    assert _desk_view(personas, listed) == before
    for candidate in case.candidates.filter(status="open"):
        review.candidate_resolve(
            candidate=candidate, user=personas["vetter"], decision="clear", reason="not him"
        )
    case.refresh_from_db()
    assert case.state == "appealed"  # the appeal still waits for its decision
    assert _desk_view(personas, listed) == before == _desk_view(personas, other)


def test_a_second_officer_can_send_back_a_denial_on_appeal(personas, open_program):
    """Fifth red-team review: sending back a denial proposed on appeal was refused."""
    serial = _register(api_client(personas["clerk2"]), "Yusuf", "Qadri")
    _appealed_with_a_pending_denial(personas, serial)
    pending = Decision.objects.get(case__intake__serial=serial, status="awaiting_second")
    case_services.decision_reject(decision=pending, user=personas["decider2"], reason="no")
    assert Case.objects.get(intake__serial=serial).state == "appealed"


def test_the_desk_waits_as_long_for_a_masked_state_as_for_any(personas, open_program):
    """Fifth red-team review: the case's answer ran one more query for a case in review or
    awaiting a second officer, and 30 timed reads told such a case apart."""
    desk = api_client(personas["clerk2"])
    pending, screened = _register(desk, "Yusuf", "Qadri"), _register(desk, "Tamer", "Haddad")
    _propose_denial(personas, pending)
    desk.get(f"/api/cases/{screened}")  # the first read of the window sets it up
    counts = []
    for serial in (pending, screened, pending):
        with CaptureQueriesContext(connection) as queries:
            assert desk.get(f"/api/cases/{serial}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
