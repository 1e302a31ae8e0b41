"""Convoys: built by an evacuation coordinator within the program's window; orders placed
on vehicles keep a family together, fit the seats and go where the order allows."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.audit.models import AuditEntry
from sulh.cases import services as cases
from sulh.core.errors import PermissionDenied
from sulh.departures import services
from sulh.departures.models import Convoy, OrderEvent, Traveller, Vehicle
from tests.departures.conftest import RESTRICTED, SAFE_PASSAGE, WHEN, WITHDRAWAL, refused

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    """What placing may change: every traveller's vehicle and status, every order's convoy."""
    travellers = Traveller.objects.order_by("pk").values_list("pk", "vehicle_id", "status")
    return [*travellers, ("orders", OrderEvent.objects.count())]


def _convoy_kwargs(program: str, **overrides):
    start = WHEN[program]
    kwargs = {
        "program": program,
        "destination": "idlib",
        "departs_from": start,
        "departs_until": start + dt.timedelta(hours=4),
        "assembly_point": "Ramouseh",
        "crossing": "Ramouseh road",
    }
    return kwargs | overrides


def test_it_builds_a_convoy_with_vehicles_and_escorts(personas, convoy):
    made = convoy(vehicles=(50, 50, 4))
    vehicles = list(made.vehicles.order_by("number"))
    assert [(v.number, v.seats) for v in vehicles] == [(1, 50), (2, 50), (3, 4)]
    assert vehicles[0].driver == "Driver Generated"
    assert list(made.escorts.values_list("organisation", flat=True)) == ["SARC"]
    spare = services.vehicle_add(
        convoy=made,
        user=personas["coordinator"],
        kind="ambulance",
        plate="AMB-1",
        seats=4,
        spare=True,
    )
    assert spare.number == 4 and spare.spare


def test_the_48_hour_program_refuses_a_convoy_after_its_window(personas):
    coordinator = personas["coordinator"]
    opens = dt.datetime(2016, 12, 16, 4, 0, tzinfo=dt.UTC)  # 06:00 Damascus
    late = {
        "departs_from": opens + dt.timedelta(hours=47),
        "departs_until": opens + dt.timedelta(hours=49),
    }
    error = refused(
        "departs_until",
        services.convoy_create,
        user=coordinator,
        **_convoy_kwargs(WITHDRAWAL, **late),
    )
    assert "window" in error.message
    early = {"departs_from": opens - dt.timedelta(hours=1)}
    refused(
        "departs_from",
        services.convoy_create,
        user=coordinator,
        **_convoy_kwargs(WITHDRAWAL, **early),
    )
    backwards = {"departs_until": WHEN[WITHDRAWAL] - dt.timedelta(hours=1)}
    refused(
        "departs_until",
        services.convoy_create,
        user=coordinator,
        **_convoy_kwargs(WITHDRAWAL, **backwards),
    )
    assert not Convoy.objects.exists()
    within = {
        "departs_from": opens + dt.timedelta(hours=40),
        "departs_until": opens + dt.timedelta(hours=48),
    }
    assert services.convoy_create(user=coordinator, **_convoy_kwargs(WITHDRAWAL, **within))


def test_it_refuses_a_destination_the_program_does_not_have(personas):
    refused(
        "destination",
        services.convoy_create,
        user=personas["coordinator"],
        **_convoy_kwargs(SAFE_PASSAGE, destination="damascus"),
    )
    refused(
        "assembly_point",
        services.convoy_create,
        user=personas["coordinator"],
        **_convoy_kwargs(SAFE_PASSAGE, assembly_point="  "),
    )


def test_it_refuses_a_vehicle_without_seats_or_of_an_unknown_kind(personas, convoy):
    made = convoy(vehicles=())
    coordinator = personas["coordinator"]
    refused(
        "seats",
        services.vehicle_add,
        convoy=made,
        user=coordinator,
        kind="bus",
        plate="B-1",
        seats=0,
    )
    refused(
        "kind",
        services.vehicle_add,
        convoy=made,
        user=coordinator,
        kind="tank",
        plate="B-1",
        seats=40,
    )
    assert not Vehicle.objects.exists()


def test_only_an_evacuation_coordinator_builds_convoys(personas):
    for persona in ("clerk", "decider", "checkpoint", "monitor", "manager"):
        with pytest.raises(PermissionDenied):
            services.convoy_create(user=personas[persona], **_convoy_kwargs(SAFE_PASSAGE))


def test_it_places_a_family_on_one_vehicle(personas, departure_case, convoy):
    case = departure_case()
    order = services.order_create(
        case=case,
        user=personas["coordinator"],
        family_member_ids=list(case.intake.family.values_list("pk", flat=True)),
    )
    made = convoy()
    bus = made.vehicles.get()
    services.order_place(order=order, vehicle=bus, user=personas["coordinator"])
    assert set(order.travellers.values_list("vehicle_id", flat=True)) == {bus.pk}
    order.refresh_from_db()
    assert order.convoy == made


def test_the_restricted_group_is_refused_a_convoy_to_western_rural_aleppo(
    personas, departure_case, convoy
):
    case = departure_case(affiliation=RESTRICTED, destination="idlib")
    order = services.order_create(case=case, user=personas["coordinator"])
    bus = convoy(destination="western-rural-aleppo").vehicles.get()
    before = _snapshot()
    error = refused(
        "destination", services.order_place, order=order, vehicle=bus, user=personas["coordinator"]
    )
    assert "does not allow" in error.message and "idlib" in error.message
    assert _snapshot() == before
    services.order_place(
        order=order,
        vehicle=convoy(destination="idlib").vehicles.get(),
        user=personas["coordinator"],
    )


def test_it_refuses_a_vehicle_over_its_seats_and_changes_nothing(personas, departure_case, convoy):
    bus = convoy(vehicles=(5,)).vehicles.get()
    coordinator = personas["coordinator"]
    first = services.order_create(
        case=(c := departure_case()),
        user=coordinator,
        family_member_ids=[m.pk for m in c.intake.family.all()],
    )
    services.order_place(order=first, vehicle=bus, user=coordinator)  # 4 of 5 seats
    second = services.order_create(
        case=(d := departure_case()),
        user=coordinator,
        family_member_ids=[d.intake.family.first().pk],
    )
    before = _snapshot()
    error = refused("vehicle", services.order_place, order=second, vehicle=bus, user=coordinator)
    assert "1 of its 5 seats" in error.message
    assert _snapshot() == before


def test_a_family_split_across_vehicles_needs_a_reason_and_raises_an_alert(
    personas, departure_case, convoy
):
    case = departure_case()
    coordinator = personas["coordinator"]
    order = services.order_create(
        case=case, user=coordinator, family_member_ids=[m.pk for m in case.intake.family.all()]
    )
    first, second = convoy(vehicles=(3, 10)).vehicles.order_by("number")
    spouse = order.travellers.filter(family_member__isnull=False).order_by("pk").first()
    before = _snapshot()
    refused(
        "split_reason",
        services.order_place,
        order=order,
        vehicle=second,
        user=coordinator,
        split={spouse.pk: first},
    )
    assert _snapshot() == before
    services.order_place(
        order=order,
        vehicle=second,
        user=coordinator,
        split={spouse.pk: first},
        split_reason="the mother rides with the wounded on the first bus",
    )
    spouse.refresh_from_db()
    assert spouse.vehicle == first
    assert order.travellers.filter(vehicle=second).count() == 3
    assert AuditEntry.objects.filter(action="alert.departure_family_split").count() == 1


def test_a_person_whose_departure_decision_was_revoked_is_not_placed(
    personas, departure_case, convoy
):
    case = departure_case()
    order = services.order_create(case=case, user=personas["coordinator"])
    cases.case_revoke_eligibility(case=case, user=personas["decider"], reason="new evidence")
    cases.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    before = _snapshot()
    refused(
        "case",
        services.order_place,
        order=order,
        vehicle=convoy().vehicles.get(),
        user=personas["coordinator"],
    )
    assert _snapshot() == before


def test_a_member_added_to_a_placed_order_needs_a_seat_on_its_vehicle(
    personas, departure_case, convoy
):
    case = departure_case()
    members = [m.pk for m in case.intake.family.order_by("pk")]
    coordinator = personas["coordinator"]
    order = services.order_create(case=case, user=coordinator, family_member_ids=members[:1])
    bus = convoy(vehicles=(3,)).vehicles.get()
    services.order_place(order=order, vehicle=bus, user=coordinator)
    services.order_change(
        order=order, user=coordinator, reason="the son comes too", family_member_ids=members[:2]
    )
    assert order.travellers.filter(vehicle=bus).count() == 3
    before = _snapshot()
    refused(
        "family_members",
        services.order_change,
        order=order,
        user=coordinator,
        reason="the daughter comes too",
        family_member_ids=members,
    )
    assert _snapshot() == before


def test_a_convoy_of_another_program_is_refused(personas, departure_case, convoy):
    order = services.order_create(case=departure_case(), user=personas["coordinator"])
    other = convoy(WITHDRAWAL, hours=(2, 6)).vehicles.get()
    refused(
        "convoy", services.order_place, order=order, vehicle=other, user=personas["coordinator"]
    )
