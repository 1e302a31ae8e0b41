"""The departures API end to end: decision, order, convoy, vehicles, placement, boarding
(retried, counted once), departure, incidents, arrival and the reconciliation; each refusal
a 4xx naming the field, with nothing already recorded changed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from sulh.accounts.models import Service
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    DepartureOrder,
    OrderEvent,
    Traveller,
    TravellerEvent,
)
from tests.clients import api_client, device_client
from tests.departures.conftest import NAMES, RESTRICTED, SAFE_PASSAGE, WHEN, WITHDRAWAL

pytestmark = pytest.mark.django_db
START = WHEN[SAFE_PASSAGE]


def _at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat()


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _refused(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["field"] == field, error
    return error


def _recorded() -> list[Any]:
    """Everything a refused request must leave as it was."""
    travellers = Traveller.objects.order_by("pk").values_list("pk", "status", "vehicle_id")
    orders = DepartureOrder.objects.order_by("pk").values_list("pk", "state", "convoy_id")
    return [
        *travellers,
        *orders,
        list(Convoy.objects.order_by("pk").values_list("pk", "state")),
        (TravellerEvent.objects.count(), ConvoyEvent.objects.count(), OrderEvent.objects.count()),
    ]


def _convoy_body(program: str = SAFE_PASSAGE, **overrides: Any) -> dict[str, Any]:
    body = {
        "program": program,
        "destination": "western-rural-aleppo",
        "departs_from": _at(2),
        "departs_until": _at(6),
        "assembly_point": "Ramouseh roundabout",
        "crossing": "Ramouseh road",
        "escorts": ["SARC"],
    }
    return body | overrides


def _build(
    coordinator: Client, case: Any, *, seats: tuple[int, ...] = (50,), place: bool = True
) -> dict[str, Any]:
    """An order for the person and the whole family, a convoy with vehicles of ``seats``,
    and the order placed on vehicle 1, all over the API."""
    members = list(case.intake.family.order_by("pk").values_list("pk", flat=True))
    made = _post(
        coordinator,
        f"/api/cases/{case.intake.serial}/departure-orders",
        {"family_members": members},
    )
    assert made.status_code == 201, made.content
    order = made.json()
    convoy = _post(coordinator, "/api/convoys", _convoy_body())
    assert convoy.status_code == 201, convoy.content
    convoy_id = convoy.json()["id"]
    for number, count in enumerate(seats, start=1):
        body = {"kind": "bus", "plate": f"B-{number}", "seats": count, "driver": "Driver Generated"}
        added = _post(coordinator, f"/api/convoys/{convoy_id}/vehicles", body)
        assert added.status_code == 201 and added.json()["number"] == number
    if place:
        placed = _post(
            coordinator,
            f"/api/convoys/{convoy_id}/placements",
            {"order": order["id"], "vehicle": 1},
        )
        assert placed.status_code == 200, placed.content
        order = placed.json()
    return {
        "order": order,
        "convoy": convoy_id,
        "travellers": [t["id"] for t in order["travellers"]],
    }


def _scan(client: Client, convoy: int, what: str, traveller: int, event_id: str, **more: Any):
    body = {"traveller": traveller, "at": more.pop("at", _at(3)), "device_event_id": event_id}
    return _post(client, f"/api/convoys/{convoy}/{what}", body | more)


def _identities(counts: dict[str, int]) -> None:
    assert counts["manifested"] == counts["boarded"] + counts["no_show"] + counts["waiting"]
    assert counts["boarded"] == (
        counts["arrived"] + counts["removed"] + counts["returned"] + counts["unaccounted"]
    )


def test_a_departure_end_to_end(personas, departure_case):
    case = departure_case(decided=False)
    serial = case.intake.serial
    decided = _post(
        api_client(personas["decider"]),
        f"/api/cases/{serial}/decisions",
        {"outcome": "departure", "destination": "western-rural-aleppo", "reason": ""},
    )
    assert decided.status_code == 201, decided.content
    coordinator = api_client(personas["coordinator"])

    members = list(case.intake.family.order_by("pk").values_list("pk", flat=True))
    made = _post(
        coordinator,
        f"/api/cases/{serial}/departure-orders",
        {"family_members": members, "items": {"person": [{"kind": "belongings"}]}},
    )
    assert made.status_code == 201, made.content
    order = made.json()
    assert (order["destination"], order["state"], order["case"]) == (
        "western-rural-aleppo",
        "open",
        serial,
    )
    person, spouse, child, little = (t["id"] for t in order["travellers"])
    assert [t["family_member"] for t in order["travellers"]] == [None, *members]

    convoy = _post(coordinator, "/api/convoys", _convoy_body()).json()
    convoy_id = convoy["id"]
    for seats in (50, 2):
        body = {"kind": "bus", "plate": f"B-{seats}", "seats": seats, "driver": "Driver Generated"}
        vehicle = _post(coordinator, f"/api/convoys/{convoy_id}/vehicles", body)
        assert vehicle.status_code == 201 and "driver" not in vehicle.json()
    escorts = _post(coordinator, f"/api/convoys/{convoy_id}/escorts", {"organisation": "ICRC"})
    assert escorts.status_code == 201 and escorts.json()["escorts"] == ["SARC", "ICRC"]

    # the youngest child on the second bus: a split, only with a reason
    placement = {"order": order["id"], "vehicle": 1, "split": {str(little): 2}}
    before = _recorded()
    _refused(
        _post(coordinator, f"/api/convoys/{convoy_id}/placements", placement), 422, "split_reason"
    )
    assert _recorded() == before
    placement["split_reason"] = "the grandmother travels on bus 2 with the youngest"
    placed = _post(coordinator, f"/api/convoys/{convoy_id}/placements", placement)
    assert placed.status_code == 200, placed.content
    assert placed.json()["split"] is True
    assert [t["vehicle"] for t in placed.json()["travellers"]] == [1, 1, 1, 2]

    # boarding, from a phone that retries its first delivery
    first = _scan(coordinator, convoy_id, "boardings", person, "phone-7:0001", vehicle=1)
    again = _scan(coordinator, convoy_id, "boardings", person, "phone-7:0001", vehicle=1)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() | {"replayed": False} == first.json() and again.json()["replayed"]
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    for index, (key, number) in enumerate(((spouse, 1), (child, 1), (little, 2))):
        scan = _scan(coordinator, convoy_id, "boardings", key, f"phone-7:01{index}", vehicle=number)
        assert scan.status_code == 201, scan.content
    waiting = coordinator.get(f"/api/convoys/{convoy_id}/reconciliation").json()
    assert waiting["total"]["boarded"] == 4 and waiting["total"]["departed"] == 0

    departed = _post(coordinator, f"/api/convoys/{convoy_id}/departure", {"at": _at(3)})
    assert departed.status_code == 200 and departed.json()["event"] == "departed"
    stop = {
        "kind": "stopped",
        "at": _at(4),
        "vehicle": 1,
        "note": "militia checkpoint at the second roundabout",
        "duration_minutes": 90,
    }
    stopped = _post(coordinator, f"/api/convoys/{convoy_id}/incidents", stop)
    assert stopped.status_code == 201 and "militia" not in stopped.content.decode()
    # two taken off bus 1 at the checkpoint: one named, one not
    removal = {"kind": "removed", "at": _at(4.5), "vehicle": 1, "count": 2, "travellers": [spouse]}
    removed = _post(coordinator, f"/api/convoys/{convoy_id}/incidents", removal)
    assert removed.status_code == 201 and removed.json()["count"] == 2

    arrived = _post(coordinator, f"/api/convoys/{convoy_id}/arrival", {"at": _at(8)})
    assert arrived.status_code == 200 and arrived.json()["event"] == "arrived"
    for key, event_id in ((person, "gate-1:0001"), (little, "gate-1:0002")):
        scan = _scan(coordinator, convoy_id, "arrivals", key, event_id, at=_at(8.5))
        assert scan.status_code == 201 and scan.json()["event"] == "arrived"

    reconciled = coordinator.get(f"/api/convoys/{convoy_id}/reconciliation")
    assert reconciled.status_code == 200
    counts = reconciled.json()
    assert counts["state"] == "arrived"
    assert counts["vehicles"]["1"] == {
        "manifested": 3,
        "waiting": 0,
        "boarded": 3,
        "no_show": 0,
        "departed": 3,
        "arrived": 1,
        "removed": 2,
        "returned": 0,
        "unaccounted": 0,
    }
    assert counts["vehicles"]["2"]["arrived"] == 1 and counts["vehicles"]["2"]["unaccounted"] == 0
    assert (
        counts["total"] | {"manifested": 4, "boarded": 4, "departed": 4, "arrived": 2}
        == counts["total"]
    )
    for shown in (*counts["vehicles"].values(), counts["total"]):
        _identities(shown)
    # the unnamed one of the two removed is among those with no fate recorded, by key
    assert counts["not_accounted_for"] == [child]

    alerts = coordinator.get(f"/api/convoys/{convoy_id}/alerts").json()
    assert [a["kind"] for a in alerts] == [
        "departure_family_split",
        "convoy_stopped",
        "convoy_removed",
    ]
    assert all(a["details"]["convoy"] == convoy_id for a in alerts)

    # no name, no driver, no note in anything the API answered
    shown = json.dumps([order, placed.json(), convoy, counts, alerts, first.json()])
    for name in (*NAMES, "Driver Generated", "grandmother", "militia"):
        assert name not in shown


def test_the_restricted_group_is_refused_another_destination_naming_the_field(
    personas, departure_case
):
    case = departure_case(affiliation=RESTRICTED, destination="idlib")
    coordinator = api_client(personas["coordinator"])
    url = f"/api/cases/{case.intake.serial}/departure-orders"
    error = _refused(
        _post(coordinator, url, {"destination": "western-rural-aleppo"}), 422, "destination"
    )
    assert "permitted: idlib" in error["message"]
    assert not DepartureOrder.objects.exists()
    assert _post(coordinator, url, {}).json()["destination"] == "idlib"


def test_the_48_hour_program_refuses_a_convoy_after_its_window(personas):
    coordinator = api_client(personas["coordinator"])
    opens = dt.datetime(2016, 12, 16, 4, 0, tzinfo=dt.UTC)  # 06:00 Damascus
    late = _convoy_body(
        WITHDRAWAL,
        destination="idlib",
        departs_from=(opens + dt.timedelta(hours=47)).isoformat(),
        departs_until=(opens + dt.timedelta(hours=49)).isoformat(),
    )
    error = _refused(_post(coordinator, "/api/convoys", late), 422, "departs_until")
    assert "window" in error["message"]
    assert not Convoy.objects.exists()
    within = late | {"departs_until": (opens + dt.timedelta(hours=48)).isoformat()}
    assert _post(coordinator, "/api/convoys", within).status_code == 201


def test_seats_a_vehicle_too_small_and_one_without_seats(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case(), seats=(3,), place=False)
    convoy = built["convoy"]
    before = _recorded()
    placement = {"order": built["order"]["id"], "vehicle": 1}
    error = _refused(
        _post(coordinator, f"/api/convoys/{convoy}/placements", placement), 422, "vehicle"
    )
    assert "3 of its 3 seats left; 4 are needed" in error["message"]
    body = {"kind": "bus", "plate": "B-0", "seats": 0}
    _refused(_post(coordinator, f"/api/convoys/{convoy}/vehicles", body), 422, "seats")
    _refused(
        _post(coordinator, f"/api/convoys/{convoy}/placements", placement | {"vehicle": 7}),
        404,
        "vehicle",
    )
    assert _recorded() == before
    assert (
        _post(coordinator, f"/api/convoys/{convoy}/vehicles", body | {"seats": 4}).json()["number"]
        == 2
    )
    placed = _post(coordinator, f"/api/convoys/{convoy}/placements", placement | {"vehicle": 2})
    assert placed.status_code == 200 and {t["vehicle"] for t in placed.json()["travellers"]} == {2}


def test_a_duplicate_boarding_scan_is_refused_and_changes_nothing(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case())
    convoy, (person, spouse, *_) = built["convoy"], built["travellers"]
    assert _scan(coordinator, convoy, "boardings", person, "d-1", vehicle=1).status_code == 201
    before = _recorded()
    error = _refused(
        _scan(coordinator, convoy, "boardings", person, "d-2", vehicle=1), 409, "traveller"
    )
    assert "already boarded" in error["message"]
    # the same device event id for another scan
    _refused(
        _scan(coordinator, convoy, "boardings", spouse, "d-1", vehicle=1), 409, "device_event_id"
    )
    _refused(_scan(coordinator, convoy, "boardings", spouse, "", vehicle=1), 422, "device_event_id")
    missing = {"traveller": spouse, "at": _at(3), "vehicle": 1}
    _refused(
        _post(coordinator, f"/api/convoys/{convoy}/boardings", missing), 422, "device_event_id"
    )
    _refused(_scan(coordinator, convoy, "boardings", 10**6, "d-3", vehicle=1), 404, "traveller")
    assert _recorded() == before


def test_a_no_show_and_an_arrival_for_someone_never_boarded(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case())
    convoy, (person, spouse, child, little) = built["convoy"], built["travellers"]
    for key, event_id in ((person, "d-1"), (spouse, "d-2"), (child, "d-3")):
        assert _scan(coordinator, convoy, "boardings", key, event_id, vehicle=1).status_code == 201
    no_show = _scan(coordinator, convoy, "no-shows", little, "d-4")
    assert no_show.status_code == 201 and no_show.json()["event"] == "no_show"
    assert _scan(coordinator, convoy, "no-shows", little, "d-4").status_code == 200
    assert _post(coordinator, f"/api/convoys/{convoy}/departure", {"at": _at(3)}).status_code == 200
    before = _recorded()
    error = _refused(
        _scan(coordinator, convoy, "arrivals", little, "a-1", at=_at(8)), 409, "traveller"
    )
    assert "never boarded" in error["message"]
    _refused(_scan(coordinator, convoy, "arrivals", person, "a-2", at=_at(1)), 422, "at")
    assert _recorded() == before
    counts = coordinator.get(f"/api/convoys/{convoy}/reconciliation").json()["total"]
    assert (counts["manifested"], counts["boarded"], counts["no_show"]) == (4, 3, 1)
    assert (counts["departed"], counts["unaccounted"]) == (3, 3)
    _identities(counts)


def test_an_incident_on_an_arrived_convoy_is_refused(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case())
    convoy = built["convoy"]
    incident = {"kind": "stopped", "at": _at(4), "vehicle": 1}
    url = f"/api/convoys/{convoy}/incidents"
    error = _refused(_post(coordinator, url, incident), 409, "convoy")
    assert "not departed" in error["message"]
    for index, key in enumerate(built["travellers"]):
        assert (
            _scan(coordinator, convoy, "boardings", key, f"d-{index}", vehicle=1).status_code == 201
        )
    _post(coordinator, f"/api/convoys/{convoy}/departure", {"at": _at(3)})
    _refused(_post(coordinator, url, incident | {"kind": "picnic"}), 422, "kind")
    _refused(
        _post(coordinator, url, {"kind": "removed", "at": _at(4), "vehicle": 1, "count": 5}),
        422,
        "count",
    )
    assert _post(coordinator, f"/api/convoys/{convoy}/arrival", {"at": _at(8)}).status_code == 200
    before = _recorded()
    removal = {"kind": "removed", "at": _at(9), "vehicle": 1, "count": 1}
    error = _refused(_post(coordinator, url, removal), 409, "convoy")
    assert "arrived" in error["message"]
    assert _recorded() == before


def test_who_may_record_and_who_may_read(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case())
    convoy, person = built["convoy"], built["travellers"][0]
    before = _recorded()
    for persona in ("clerk", "monitor", "checkpoint", "manager"):
        client = api_client(personas[persona])
        scan = _scan(client, convoy, "boardings", person, f"{persona}-1", vehicle=1)
        _refused(scan, 403, "user")
        depart = _post(client, f"/api/convoys/{convoy}/departure", {"at": _at(3)})
        _refused(depart, 403, "user")
    assert _recorded() == before
    # the policy: the monitor and the program manager read the counts; a clerk does not
    for persona in ("monitor", "manager"):
        client = api_client(personas[persona])
        assert client.get(f"/api/convoys/{convoy}/reconciliation").status_code == 200
        assert client.get(f"/api/convoys/{convoy}/alerts").status_code == 200
    clerk = api_client(personas["clerk"])
    _refused(clerk.get(f"/api/convoys/{convoy}/reconciliation"), 403, "user")
    _refused(
        api_client(personas["monitor"]).get(f"/api/departure-orders/{built['order']['id']}"),
        403,
        "user",
    )


def test_a_boarding_device_scans_only_for_its_programs_convoys(personas, departure_case):
    coordinator = api_client(personas["coordinator"])
    built = _build(coordinator, departure_case())
    convoy, person = built["convoy"], built["travellers"][0]
    device = device_client(personas["coordinator"], scopes=["boarding"])
    assert _scan(device, convoy, "boardings", person, "door-1:1", vehicle=1).status_code == 201
    assert _scan(device, convoy, "boardings", person, "door-1:1", vehicle=1).status_code == 200
    assert device.get(f"/api/convoys/{convoy}").json()["vehicles"][0]["seats"] == 50
    # a boarding device records no departure, builds no convoy, reads no counts
    _refused(_post(device, f"/api/convoys/{convoy}/departure", {"at": _at(3)}), 403, "scope")
    _refused(_post(device, "/api/convoys", _convoy_body()), 403, "scope")
    _refused(device.get(f"/api/convoys/{convoy}/reconciliation"), 403, "scope")
    # an intake device does not board
    tallies = device_client(personas["coordinator"], scopes=["tallies"], device="tablet-2")
    _refused(_scan(tallies, convoy, "boardings", person, "door-1:2", vehicle=1), 403, "scope")
    # a convoy of a program the device's account no longer serves: as unknown
    Service.objects.filter(user=personas["coordinator"], program__code=SAFE_PASSAGE).delete()
    before = _recorded()
    spouse = built["travellers"][1]
    _refused(_scan(device, convoy, "boardings", spouse, "door-1:3", vehicle=1), 404, "convoy")
    assert _recorded() == before
