"""POST /api/intakes: a registration, validated, idempotent and within the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.cases.models import Case
from sulh.programs.services import program_get_definition
from sulh.registry.models import Intake
from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_a_bad_intake_is_a_422_naming_the_field(personas, programs):
    body = make_intake(PROGRAM, submitted_at=WHEN)
    body["person"]["birth_date"] = "1990-13-01"
    response = _post(_client(personas["clerk"]), "/api/intakes", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "person.birth_date"
    assert Intake.objects.count() == 0


def test_a_malformed_body_is_a_422_naming_the_field(personas, programs):
    body = make_intake(PROGRAM, submitted_at=WHEN)
    body["items"] = [{"kind": "tank"}]
    response = _post(_client(personas["clerk"]), "/api/intakes", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"].startswith("items[0]")


def test_a_retried_intake_returns_the_first_case(personas, programs):
    client = _client(personas["clerk"])
    body = make_intake(PROGRAM, submitted_at=WHEN)
    first = _post(client, "/api/intakes", body)
    again = _post(client, "/api/intakes", body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["serial"] == first.json()["serial"]
    assert again.json()["replayed"] is True
    assert Intake.objects.count() == 1


def test_a_deadline_refusal_is_clear(personas, programs, server_clock):
    server_clock(dt.datetime(2016, 12, 31, tzinfo=dt.UTC))
    response = _post(_client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM))
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "deadline",
        "field": "submitted_at",
        "message": response.json()["error"]["message"],
    }
    assert "deadline" in response.json()["error"]["message"].lower()


def test_a_backdated_intake_does_not_enter_a_closed_program(personas, programs, server_clock):
    # The attack (F12): a station claims a time in 2016 to register into a program that
    # closed in 2016. The server's clock is the registration time; the claim is refused.
    server_clock(dt.datetime.now(dt.UTC))
    response = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "submitted_at" and "server's clock" in error["message"]
    assert Intake.objects.count() == 0


def test_a_station_clock_within_the_skew_is_kept_as_a_claim_only(personas, programs, server_clock):
    # Just after the deadline by the server's clock; the station's clock says five minutes
    # earlier, before it. The claim is kept, but the server's time places the intake.
    deadline = program_get_definition(code=PROGRAM).deadline
    server_clock(deadline + dt.timedelta(minutes=1))
    claim = (deadline - dt.timedelta(minutes=4)).isoformat()
    late = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=claim)
    )
    assert late.status_code == 422 and late.json()["error"]["code"] == "deadline"
    server_clock(deadline - dt.timedelta(hours=1))
    claim = (deadline - dt.timedelta(hours=1, minutes=9)).isoformat()
    body = make_intake(PROGRAM, submitted_at=claim)
    created = _post(_client(personas["clerk"]), "/api/intakes", body)
    assert created.status_code == 201
    case = Case.objects.get(intake__serial=created.json()["serial"])
    assert case.intake.submitted_at == deadline - dt.timedelta(hours=1)
    assert case.station_claimed_at == dt.datetime.fromisoformat(claim)


def test_another_station_resending_a_submission_learns_nothing_of_the_case(
    personas, programs, server_clock
):
    """Third red-team review: re-sending a captured submission from another station's
    account answered with the case (a child's too), and its later outcome could be polled."""
    server_clock(dt.datetime.fromisoformat(WHEN))
    body = make_intake(PROGRAM, submitted_at=WHEN)
    first = _post(_client(personas["clerk"]), "/api/intakes", body)
    assert first.status_code == 201
    other = _post(_client(personas["clerk2"]), "/api/intakes", body)
    assert other.status_code == 409 and first.json()["serial"] not in other.content.decode()
    # the same answer as a taken key with another submission: it says nothing of the case
    changed = {**body, "category": "civilian"}
    again = _post(_client(personas["clerk2"]), "/api/intakes", changed)
    assert again.json()["error"]["message"] == other.json()["error"]["message"]
    assert Intake.objects.count() == 1


def test_a_replay_of_a_childs_intake_is_a_receipt_without_its_course(
    personas, programs, server_clock
):
    server_clock(dt.datetime.fromisoformat(WHEN))
    body = make_intake(PROGRAM, submitted_at=WHEN)
    body["person"]["birth_date"] = "2005-01-01"  # eleven at registration
    client = _client(personas["clerk"])
    first = _post(client, "/api/intakes", body)
    assert first.status_code == 201
    again = _post(client, "/api/intakes", body).json()
    assert again["serial"] == first.json()["serial"] and again["replayed"] is True
    assert (again["state"], again["proposal"], again["outcome"]) == ("", None, "")
    from sulh.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="case.read").count() == 1  # the replay, counted
