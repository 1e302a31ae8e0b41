"""The HTTP API: documented, authenticated, one error shape, idempotent intakes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from sulh.accounts.services import api_token_create
from sulh.registry.models import Intake
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = "2016-08-10T09:00:00+00:00"


def _client(user: Any) -> Client:
    token = api_token_create(user=user, name="desk")
    return Client(headers={"authorization": f"Bearer {token}"})


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_it_serves_an_openapi_document_covering_programs_intakes_and_decisions(db):
    document = Client().get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/programs",
        "/api/intakes",
        "/api/cases/{serial}/decisions",
        "/api/decisions/{decision_id}/confirm",
    ):
        assert path in paths


def test_healthz_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_it_refuses_an_anonymous_caller_with_the_error_shape(db):
    response = Client().get("/api/programs")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_lists_the_five_seed_programs(personas, programs):
    codes = {p["code"] for p in _client(personas["manager"]).get("/api/programs").json()}
    assert codes == {
        "aleppo-2016-amnesty",
        "aleppo-2016-evacuation",
        "aleppo-2016-safe-passage",
        "aleppo-2016-48h-withdrawal",
        "aleppo-2024-defectors",
    }


def test_an_unknown_program_is_a_404_naming_the_field(personas, programs):
    response = _client(personas["manager"]).get("/api/programs/nope")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "program"


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


def test_four_eyes_through_the_api(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    decider, decider2 = _client(personas["decider"]), _client(personas["decider2"])
    proposed = _post(
        decider, f"/api/cases/{serial}/decisions", {"outcome": "denial", "reason": "refused pledge"}
    )
    assert proposed.status_code == 201 and proposed.json()["status"] == "awaiting_second"
    decision_id = proposed.json()["id"]
    own = _post(decider, f"/api/decisions/{decision_id}/confirm", {"reason": ""})
    assert own.status_code == 403
    confirmed = _post(decider2, f"/api/decisions/{decision_id}/confirm", {"reason": "agreed"})
    assert confirmed.status_code == 200
    assert decider.get(f"/api/cases/{serial}").json()["outcome"] == "denial"


def test_a_clerk_sees_only_their_station(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    assert _client(personas["clerk"]).get(f"/api/cases/{serial}").status_code == 200
    assert _client(personas["clerk2"]).get(f"/api/cases/{serial}").status_code == 404
    assert _client(personas["monitor"]).get(f"/api/cases/{serial}").status_code == 404


def test_figures_are_for_managers_and_monitors(personas, programs):
    assert _client(personas["clerk"]).get(f"/api/bulletins/{PROGRAM}").status_code == 403
    figures = _client(personas["monitor"]).get(f"/api/bulletins/{PROGRAM}").json()["figures"]
    assert figures["registered"] == 0


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


def test_a_vetting_officer_sees_and_clears_a_duplicate_through_the_api(personas, programs):
    person = {
        "given_name_ar": "ثائر",
        "family_name_ar": "كيالي",
        "birth_date": "1984-02-20",
        "national_id": "50600700801",
    }
    first = _post(
        _client(personas["clerk"]),
        "/api/intakes",
        make_intake(PROGRAM, submitted_at=WHEN, person=person),
    )
    second = _post(
        _client(personas["clerk2"]),
        "/api/intakes",
        make_intake(PROGRAM, submitted_at=WHEN, person=person),
    )
    assert second.json()["state"] == "in_review"
    vetter = _client(personas["vetter"])
    serial = second.json()["serial"]
    candidates = vetter.get(f"/api/cases/{serial}/candidates").json()
    assert [c["other_case"] for c in candidates] == [first.json()["serial"]]
    assert _client(personas["clerk2"]).get(f"/api/cases/{serial}/candidates").status_code == 403
    resolved = _post(
        vetter,
        f"/api/candidates/{candidates[0]['id']}/resolve",
        {"decision": "clear", "reason": "different fathers on the ID cards"},
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "cleared"
    assert vetter.get(f"/api/cases/{serial}").json()["state"] == "screened"
