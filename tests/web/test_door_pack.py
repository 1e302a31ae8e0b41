"""The offline door's page and its vehicle pack (sulh/web/door_views.py): only the boarding
role opens them, for a convoy of a program it serves; the pack holds the least a door
needs (keys, the checkpoint's facts, kinds carried, card ids) and no name, tag or
destination; the door's events go through the API, counted once when retried."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from sulh.cards.models import Card
from sulh.departures.models import TravellerEvent
from sulh.keys.services import root_online_create
from sulh.web import departure_views
from tests.conftest import PASSWORD
from tests.departures.conftest import NAMES, SAFE_PASSAGE, WHEN, convoy, departure_case
from tests.web.test_door_offline_browser import door_convoy

__all__ = ["convoy", "departure_case"]
pytestmark = pytest.mark.django_db
AT = WHEN[SAFE_PASSAGE].replace(hour=11)


def _client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def made(personas, departure_case, convoy, monkeypatch) -> tuple[Any, Any, dict[int, str]]:
    monkeypatch.setattr(departure_views, "_now", lambda: AT)
    root_online_create()
    return door_convoy(personas, departure_case, convoy, families=2)


def test_the_pack_holds_the_least_a_door_needs(personas, made):
    convoy, vehicle, cards = made
    client = _client(personas["coordinator"])
    page = client.get(f"/door/{convoy.pk}/{vehicle.number}/")
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    answer = client.get(f"/door/{convoy.pk}/{vehicle.number}/pack.json")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    pack = answer.json()
    assert pack["format"] == "sulh-door-pack/1"
    assert (pack["convoy"], pack["vehicle"], pack["seats"]) == (convoy.pk, 1, 50)
    assert pack["server_now"] == AT.isoformat()
    assert len(pack["travellers"]) == 9 and pack["elsewhere"] == []
    assert set(pack["travellers"][0]) == {
        "key", "order", "principal", "relation", "sex", "birth_year", "child", "status",
        "vehicle", "items",
    }  # fmt: skip
    holders = {t["key"] for t in pack["travellers"] if t["principal"]}
    assert set(pack["cards"].values()) == holders == set(cards)
    assert set(pack["cards"]) == set(Card.objects.values_list("card_id", flat=True))
    text = json.dumps(pack, ensure_ascii=False)
    assert not any(name in text for name in NAMES)
    assert "western-rural-aleppo" not in text and "Driver" not in text
    assert client.get("/door/sw.js")["Content-Type"].startswith("text/javascript")


def test_only_the_boarding_role_opens_the_door(personas, made):
    convoy, _, _ = made
    for role in ("clerk", "monitor", "decider"):
        client = _client(personas[role])
        for path in (f"/door/{convoy.pk}/1/", f"/door/{convoy.pk}/1/pack.json"):
            assert client.get(path).status_code == 403, (role, path)
    coordinator = _client(personas["coordinator"])
    assert coordinator.get(f"/door/{convoy.pk}/9/pack.json").status_code == 404
    assert coordinator.get(f"/door/{convoy.pk + 1}/1/pack.json").status_code == 404


def test_the_doors_events_count_once_when_retried(personas, made):
    convoy, vehicle, cards = made
    client = _client(personas["coordinator"])
    page = client.get(f"/door/{convoy.pk}/{vehicle.number}/")
    token = page.content.decode().split('data-csrf="', 1)[1].split('"', 1)[0]
    body = {
        "traveller": min(cards), "vehicle": 1, "at": AT.isoformat(),
        "device_event_id": uuid.uuid4().hex,
    }  # fmt: skip
    post = {"content_type": "application/json", "HTTP_X_CSRFTOKEN": token}
    url = f"/api/convoys/{convoy.pk}/boardings"
    assert client.post(url, body, **post).status_code == 201
    again = client.post(url, body, **post)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    # without the page's token the session may not write
    assert (
        client.post(
            url, {**body, "device_event_id": "x" * 32}, content_type="application/json"
        ).status_code
        == 403
    )
