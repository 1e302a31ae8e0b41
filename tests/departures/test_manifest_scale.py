"""Sealing a 100-vehicle convoy's manifests (5,000 travellers, one monitor enrolled) at
departure: 100 sealed lists, 100 copies, 101 log records, in a few seconds."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sulh.departures import movement
from sulh.departures.models import (
    DepartureOrder,
    ManifestCopy,
    OrderState,
    SealedManifest,
    Traveller,
    TravellerStatus,
    Vehicle,
)
from sulh.departures.records import departure_figures, departures_reconcile
from sulh.ledger.publication import live_records
from sulh.registry.models import FamilyMember
from tests.departures.conftest import AT, SAFE_PASSAGE

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("monitor_keys")
def test_a_100_vehicle_convoy_is_sealed_at_departure(personas, departure_case, convoy):
    made = convoy(vehicles=())
    case = departure_case(members=())
    FamilyMember.objects.bulk_create(
        FamilyMember(intake=case.intake, relation="child", sex="male", is_child=True,
                     name_lat=f"Generated Child {n}")
        for n in range(49)
    )  # fmt: skip
    members = list(case.intake.family.values_list("pk", flat=True))
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(convoy=made, number=n, kind="bus", plate=f"B{n}", seats=50) for n in range(1, 101)
    )
    orders = DepartureOrder.objects.bulk_create(
        DepartureOrder(
            case=case, program=made.program, state=OrderState.BOARDING, convoy=made,
            allowed_destinations=[made.destination], destination=made.destination,
            window_closes_at=AT + dt.timedelta(days=3), created_by=personas["coordinator"],
            created_at=AT,
        )
        for _ in vehicles
    )  # fmt: skip
    Traveller.objects.bulk_create(
        Traveller(order=order, vehicle=vehicle, family_member_id=member,
                  status=TravellerStatus.BOARDED, is_child=member is not None)
        for order, vehicle in zip(orders, vehicles, strict=True)
        for member in [None, *members]
    )  # fmt: skip
    started = time.perf_counter()
    movement.convoy_depart(convoy=made, user=personas["coordinator"], at=AT)
    elapsed = time.perf_counter() - started
    print(f"sealed 100 vehicles, 5000 travellers, 1 monitor at departure in {elapsed:.2f} s")
    assert SealedManifest.objects.count() == ManifestCopy.objects.count() == 100
    figures = departure_figures(live_records(), program=SAFE_PASSAGE)
    assert figures is not None and figures["boarded"] == 5000 and figures["orders"] == 100
    assert departures_reconcile(figures)
    assert elapsed < 30
