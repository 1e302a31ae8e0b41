"""POST /api/intakes: a registration, validated, idempotent and within the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

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


def test_a_deadline_refusal_is_clear(personas, programs):
    late = (dt.datetime(2016, 12, 31, tzinfo=dt.UTC)).isoformat()
    response = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=late)
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "deadline",
        "field": "submitted_at",
        "message": response.json()["error"]["message"],
    }
    assert "deadline" in response.json()["error"]["message"].lower()
