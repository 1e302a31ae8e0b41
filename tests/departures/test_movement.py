"""At the vehicle door and on the road: boarding (idempotent on the device's event id),
no-shows, departure, incidents and arrival, each refusal naming its field and changing
nothing already recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.audit.models import AuditEntry
from sulh.core.errors import Conflict
from sulh.departures import movement, services
from sulh.departures.models import (
    CarriedItem,
    ConvoyEvent,
    OrderState,
    Traveller,
    TravellerEvent,
    TravellerStatus,
)
from tests.departures.conftest import WHEN, WITHDRAWAL, refused

pytestmark = pytest.mark.django_db
AT = WHEN["aleppo-2016-safe-passage"] + dt.timedelta(hours=3)


def _recorded() -> list[tuple]:
    travellers = Traveller.objects.order_by("pk").values_list("pk", "status", "vehicle_id")
    return [
        *travellers,
        ("events", TravellerEvent.objects.count(), ConvoyEvent.objects.count()),
        ("items", list(CarriedItem.objects.values_list("pk", flat=True))),
    ]


@pytest.fixture
def placed(personas, departure_case, convoy):
    """An order (the person, the spouse and two children) placed on vehicle 1 of a convoy."""

    def make(program: str = "aleppo-2016-safe-passage", **convoy_kwargs):
        case = departure_case(program)
        order = services.order_create(
            case=case,
            user=personas["coordinator"],
            family_member_ids=[m.pk for m in case.intake.family.all()],
        )
        made = convoy(program, **convoy_kwargs)
        services.order_place(
            order=order, vehicle=made.vehicles.get(number=1), user=personas["coordinator"]
        )
        return order, made

    return make


def _board(personas, traveller, vehicle, event_id, **kwargs):
    return movement.boarding_record(
        traveller=traveller,
        vehicle=vehicle,
        user=personas["coordinator"],
        at=AT,
        device_event_id=event_id,
        **kwargs,
    )


def test_a_retried_boarding_event_counts_once(personas, placed):
    order, made = placed()
    person = order.travellers.get(family_member__isnull=True)
    bus = made.vehicles.get(number=1)
    first = _board(personas, person, bus, "phone-7:0001")
    again = _board(personas, person, bus, "phone-7:0001")
    assert again.pk == first.pk
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    person.refresh_from_db()
    order.refresh_from_db()
    assert person.status == TravellerStatus.BOARDED and order.state == OrderState.BOARDING


def test_a_second_scan_of_someone_boarded_isrefused(personas, placed):
    order, made = placed()
    person = order.travellers.get(family_member__isnull=True)
    bus = made.vehicles.get(number=1)
    _board(personas, person, bus, "phone-7:0001")
    before = _recorded()
    with pytest.raises(Conflict) as caught:
        _board(personas, person, bus, "phone-7:0002")
    assert caught.value.field == "traveller"
    # the same device event id for someone else is another scan, refused too
    spouse = order.travellers.filter(family_member__isnull=False).first()
    refused("device_event_id", _board, personas, spouse, bus, "phone-7:0001")
    assert _recorded() == before


def test_the_door_refuses_a_heavy_weapon_and_another_convoy(personas, placed):
    order, made = placed()
    person = order.travellers.get(family_member__isnull=True)
    bus = made.vehicles.get(number=1)
    before = _recorded()
    refused(
        "items[0].heavy",
        _board,
        personas,
        person,
        bus,
        "d1",
        items=[{"kind": "weapon", "heavy": True, "tag": "RPG-7"}],
    )
    _, other = placed()
    refused("convoy", _board, personas, person, other.vehicles.get(number=1), "d2")
    assert _recorded()[: len(before) - 2] == before[: len(before) - 2]
    assert Traveller.objects.get(pk=person.pk).status == TravellerStatus.MANIFESTED
    _board(personas, person, bus, "d3", items=[{"kind": "weapon", "tag": "AK-TAG-9"}])
    assert CarriedItem.objects.get(traveller=person).tag == "AK-TAG-9"


def test_it_refuses_the_wrong_vehicle_and_a_change_after_boarding(personas, placed):
    order, made = placed(vehicles=(10, 10))
    person = order.travellers.get(family_member__isnull=True)
    refused("vehicle", _board, personas, person, made.vehicles.get(number=2), "d1")
    _board(personas, person, made.vehicles.get(number=1), "d2")
    with pytest.raises(Conflict) as caught:
        services.order_cancel(order=order, user=personas["coordinator"], reason="too late")
    assert caught.value.field == "order"


def test_departure_records_no_shows_and_flags_an_unaccompanied_child(personas, placed):
    order, made = placed()
    bus = made.vehicles.get(number=1)
    children = list(order.travellers.filter(is_child=True))
    for index, child in enumerate(children):
        _board(personas, child, bus, f"d{index}")
    departed = movement.convoy_depart(convoy=made, user=personas["coordinator"], at=AT)
    assert departed.details["no_show"] == 2 and departed.details["boarded"] == 2
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED and order.unaccompanied_child
    assert AuditEntry.objects.filter(
        action="alert.unaccompanied_child_to_child_protection"
    ).exists()
    with pytest.raises(Conflict) as caught:
        _board(personas, order.travellers.get(family_member__isnull=True), bus, "late")
    assert caught.value.field == "convoy"


def test_the_48_hour_program_refuses_a_departure_after_its_window(personas, placed):
    _, made = placed(WITHDRAWAL, hours=(36, 44))
    closes = dt.datetime(2016, 12, 18, 4, 0, tzinfo=dt.UTC)
    refused(
        "at",
        movement.convoy_depart,
        convoy=made,
        user=personas["coordinator"],
        at=closes + dt.timedelta(minutes=1),
    )
    made.refresh_from_db()
    assert made.state == "planned"
    assert movement.convoy_depart(convoy=made, user=personas["coordinator"], at=closes)


def test_an_arrival_scan_for_someone_never_boarded_isrefused(personas, placed):
    order, made = placed()
    bus = made.vehicles.get(number=1)
    person, *family = order.travellers.order_by("pk")
    _board(personas, person, bus, "d1")
    movement.convoy_depart(convoy=made, user=personas["coordinator"], at=AT)
    later = AT + dt.timedelta(hours=5)
    with pytest.raises(Conflict) as caught:
        movement.arrival_record(
            traveller=family[0], user=personas["coordinator"], at=later, device_event_id="arr-1"
        )
    assert caught.value.field == "traveller" and "never boarded" in caught.value.message
    first = movement.arrival_record(
        traveller=person, user=personas["coordinator"], at=later, device_event_id="arr-2"
    )
    again = movement.arrival_record(
        traveller=person, user=personas["coordinator"], at=later, device_event_id="arr-2"
    )
    assert first.pk == again.pk and TravellerEvent.objects.filter(event="arrived").count() == 1


def test_incidents_only_on_the_road(personas, placed):
    order, made = placed()
    coordinator = personas["coordinator"]
    bus = made.vehicles.get(number=1)
    refused(
        "convoy", movement.incident_record, convoy=made, user=coordinator, kind="stopped", at=AT
    )
    for index, traveller in enumerate(order.travellers.all()):
        _board(personas, traveller, bus, f"d{index}")
    movement.convoy_depart(convoy=made, user=coordinator, at=AT)
    stop = movement.incident_record(
        convoy=made,
        user=coordinator,
        kind="stopped",
        at=AT + dt.timedelta(hours=1),
        vehicle=bus,
        note="militia checkpoint at the second roundabout",
        duration_minutes=90,
    )
    assert stop.note == "militia checkpoint at the second roundabout"
    assert AuditEntry.objects.filter(action="alert.convoy_stopped").exists()
    refused(
        "count",
        movement.incident_record,
        convoy=made,
        user=coordinator,
        kind="removed",
        at=AT,
        vehicle=bus,
        count=5,
    )
    refused(
        "vehicle",
        movement.incident_record,
        convoy=made,
        user=coordinator,
        kind="removed",
        at=AT,
        count=1,
    )
    refused("kind", movement.incident_record, convoy=made, user=coordinator, kind="picnic", at=AT)
    movement.convoy_arrive(convoy=made, user=coordinator, at=AT + dt.timedelta(hours=6))
    before = _recorded()
    with pytest.raises(Conflict) as caught:
        movement.incident_record(
            convoy=made, user=coordinator, kind="removed", at=AT, vehicle=bus, count=1
        )
    assert caught.value.field == "convoy" and "arrived" in caught.value.message
    assert _recorded() == before


def test_the_incident_note_is_sealed_at_rest(personas, placed):
    from django.db import connection

    _, made = placed()
    movement.convoy_depart(convoy=made, user=personas["coordinator"], at=AT)
    movement.incident_record(
        convoy=made,
        user=personas["coordinator"],
        kind="stranded",
        at=AT,
        note="held by a named commander",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM departures_convoyevent WHERE event = 'stranded'")
        (stored,) = cursor.fetchone()
    assert stored.startswith("v2:") and "commander" not in stored


def test_a_retry_racing_the_first_delivery_returns_its_event(personas, placed, monkeypatch):
    order, made = placed()
    person = order.travellers.get(family_member__isnull=True)
    bus = made.vehicles.get(number=1)
    first = _board(personas, person, bus, "phone-7:0001")
    # the retry looked before the first delivery committed, then waited on its locks
    looks = iter([None])
    real = movement._replayed
    monkeypatch.setattr(movement, "_replayed", lambda *a, **k: _second(real, looks, *a, **k))
    again = _board(personas, person, bus, "phone-7:0001")
    assert again.pk == first.pk
    assert TravellerEvent.objects.filter(traveller=person).count() == 1


def _second(real, looks, *args, **kwargs):
    """None on the first look (before the locks), the truth after."""
    for _ in looks:
        return None
    return real(*args, **kwargs)


def test_a_no_show_is_recorded_once_and_frees_nothing_twice(personas, placed):
    order, made = placed()
    spouse = order.travellers.filter(family_member__isnull=False).order_by("pk").first()
    coordinator = personas["coordinator"]
    first = movement.no_show_record(traveller=spouse, user=coordinator, at=AT, device_event_id="n1")
    again = movement.no_show_record(traveller=spouse, user=coordinator, at=AT, device_event_id="n1")
    assert first.pk == again.pk
    with pytest.raises(Conflict) as caught:
        _board(personas, spouse, made.vehicles.get(number=1), "d1")
    assert caught.value.field == "traveller"
    person = order.travellers.get(family_member__isnull=True)
    _board(personas, person, made.vehicles.get(number=1), "d2")
    with pytest.raises(Conflict) as caught:
        movement.arrival_record(traveller=person, user=coordinator, at=AT, device_event_id="a1")
    assert caught.value.field == "convoy"
