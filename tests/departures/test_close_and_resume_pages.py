"""The convoy board's buttons for closing the arrivals (a protection case for whoever is
still aboard) and resuming a stranded convoy, in English and Arabic; a refusal names its
field and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sulh.departures import movement
from sulh.departures.models import ConvoyEvent, ProtectionCase
from sulh.web import departure_views
from tests.conftest import PASSWORD
from tests.departures.conftest import AT

pytestmark = pytest.mark.django_db
LATER = AT + dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(departure_views, "_now", lambda: LATER)


def _client(user, lang="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = lang
    return client


@pytest.mark.parametrize(
    ("lang", "done"), [("en", "The arrivals are closed"), ("ar", "أُغلق الوصول")]
)
def test_closing_the_arrivals_opens_a_case_for_the_one_still_aboard(personas, departed, lang, done):
    made, _ = departed
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    aboard = list(made.vehicles.get(number=1).travellers.filter(status="boarded").order_by("pk"))
    missing = aboard[0]
    client = _client(coordinator, lang)
    board = client.get(f"/convoys/{made.pk}/board/")
    assert 'id="arrivals-close"' in board.content.decode()
    answer = client.post(f"/convoys/{made.pk}/arrivals/close/", follow=True)
    assert answer.status_code == 200
    assert done in answer.content.decode()
    assert missing.pk in set(ProtectionCase.objects.values_list("traveller_id", flat=True))
    assert 'id="arrivals-closed"' in answer.content.decode()


def test_closing_twice_is_refused_and_changes_nothing(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    client = _client(coordinator)
    client.post(f"/convoys/{made.pk}/arrivals/close/")
    before = (ProtectionCase.objects.count(), ConvoyEvent.objects.count())
    again = client.post(f"/convoys/{made.pk}/arrivals/close/")
    assert "already closed" in again.content.decode()
    assert (ProtectionCase.objects.count(), ConvoyEvent.objects.count()) == before


def test_a_stranded_convoy_resumes_from_the_board(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    client = _client(coordinator)
    refused = client.post(f"/convoys/{made.pk}/resume/")
    assert "not stranded" in refused.content.decode()
    movement.incident_record(
        convoy=made, user=coordinator, kind="stranded", at=AT + dt.timedelta(minutes=30)
    )
    answer = client.post(f"/convoys/{made.pk}/resume/", follow=True)
    assert "The convoy moves again" in answer.content.decode()
    assert ConvoyEvent.objects.filter(convoy=made, event="resumed").count() == 1


def test_a_monitor_may_not_close_the_arrivals(personas, departed):
    made, _ = departed
    movement.convoy_arrive(convoy=made, user=personas["coordinator"], at=LATER)
    answer = _client(personas["monitor"]).post(f"/convoys/{made.pk}/arrivals/close/")
    assert answer.status_code == 403
    assert ProtectionCase.objects.count() == 0


@pytest.mark.parametrize(("lang", "title"), [("en", "Protection cases"), ("ar", "قضايا الحماية")])
def test_the_monitor_sees_the_protection_case_by_key_only(personas, departed, lang, title):
    made, _ = departed
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    _client(coordinator).post(f"/convoys/{made.pk}/arrivals/close/")
    page = _client(personas["monitor"], lang).get("/protection-cases/")
    text = page.content.decode()
    assert page.status_code == 200 and title in text
    for case in ProtectionCase.objects.all():
        assert f'id="case-{case.traveller_id}"' in text
    assert _client(personas["clerk"]).get("/protection-cases/").status_code == 403
