"""The API for what follows arrival and a stranding: closing a convoy's arrivals (each
traveller still aboard opens a protection case), the list of protection cases, resuming a
stranded convoy; bad input answers naming its field and changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sulh.departures import movement
from sulh.departures.models import ConvoyEvent, ProtectionCase
from tests.clients import api_client
from tests.departures.conftest import AT

pytestmark = pytest.mark.django_db
LATER = AT + dt.timedelta(hours=2)


def _post(user, path, body):
    return api_client(user).post(path, data=json.dumps(body), content_type="application/json")


def _aboard(made):
    return list(
        made.vehicles.get(number=1).travellers.filter(status="boarded").order_by("pk")
    )  # fmt: skip


def test_closing_arrivals_opens_a_case_for_the_missing_one(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    missing, *found = _aboard(made)
    for traveller in found:
        movement.arrival_record(
            traveller=traveller, user=coordinator, at=LATER,
            device_event_id=f"arrive:{traveller.pk}",
        )  # fmt: skip
    answer = _post(coordinator, f"/api/convoys/{made.pk}/arrivals-close", {"at": LATER.isoformat()})
    assert answer.status_code == 200, answer.content
    assert missing.pk in [case["traveller"] for case in answer.json()]
    listed = api_client(personas["monitor"]).get("/api/protection-cases")
    assert listed.status_code == 200
    assert missing.pk in [case["traveller"] for case in listed.json()]
    assert "name" not in json.dumps(listed.json())
    again = _post(coordinator, f"/api/convoys/{made.pk}/arrivals-close", {"at": LATER.isoformat()})
    assert again.status_code == 409
    assert "convoy" in again.content.decode()


def test_closing_before_arrival_is_refused_and_changes_nothing(personas, departed):
    made, _ = departed
    answer = _post(
        personas["coordinator"], f"/api/convoys/{made.pk}/arrivals-close", {"at": LATER.isoformat()}
    )
    assert answer.status_code in (409, 422)
    assert "convoy" in answer.content.decode()
    assert ProtectionCase.objects.count() == 0
    bad = _post(personas["coordinator"], f"/api/convoys/{made.pk}/arrivals-close", {"at": "soon"})
    assert bad.status_code == 422
    assert "at" in bad.content.decode()


def test_a_convoy_not_stranded_cannot_resume(personas, departed):
    made, _ = departed
    before = ConvoyEvent.objects.count()
    answer = _post(
        personas["coordinator"], f"/api/convoys/{made.pk}/resume", {"at": LATER.isoformat()}
    )
    assert answer.status_code == 409
    assert "convoy" in answer.content.decode()
    assert ConvoyEvent.objects.count() == before


def test_a_stranded_convoy_resumes(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    movement.incident_record(
        convoy=made, user=coordinator, kind="stranded", at=AT + dt.timedelta(minutes=30)
    )
    answer = _post(coordinator, f"/api/convoys/{made.pk}/resume", {"at": LATER.isoformat()})
    assert answer.status_code == 200, answer.content
    assert answer.json()["event"] == "resumed"
