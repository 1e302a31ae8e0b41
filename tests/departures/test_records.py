"""The log's departure records change only with what was recorded: a refused departure
seals and logs nothing, a replayed arrival scan and a refused one add no record."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.departures import movement, services
from sulh.departures.models import ManifestCopy, SealedManifest
from sulh.departures.records import departure_figures
from sulh.ledger.models import LedgerLeaf
from sulh.ledger.publication import live_records
from tests.departures.conftest import AT, SAFE_PASSAGE, WHEN, WITHDRAWAL, refused

pytestmark = pytest.mark.django_db


def _departure_records() -> list[dict]:
    events = {"vehicle_departed", "convoy_departed", "traveller_arrived", "convoy_incident"}
    return [r for r in live_records() if r and r["event"] in events]


def test_a_departure_after_the_window_seals_and_logs_nothing(
    personas, departure_case, convoy, monitor_keys
):
    coordinator = personas["coordinator"]
    case = departure_case(WITHDRAWAL, destination="idlib")
    order = services.order_create(case=case, user=coordinator)
    made = convoy(WITHDRAWAL, destination="idlib", hours=(2, 40))
    services.order_place(order=order, vehicle=made.vehicles.get(), user=coordinator)
    leaves = LedgerLeaf.objects.count()
    late = WHEN[WITHDRAWAL] + dt.timedelta(hours=60)
    refused("at", movement.convoy_depart, convoy=made, user=coordinator, at=late)
    assert LedgerLeaf.objects.count() == leaves
    assert SealedManifest.objects.count() == ManifestCopy.objects.count() == 0
    assert departure_figures(live_records(), program=WITHDRAWAL) is None


def test_replayed_and_refused_arrival_scans_add_no_record(personas, departed):
    made, orders = departed
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=AT + dt.timedelta(hours=2))
    person = orders[1].travellers.get()
    spouse = orders[0].travellers.get(status="no_show")
    for _ in range(3):
        movement.arrival_record(
            traveller=person, user=coordinator, at=AT + dt.timedelta(hours=2),
            device_event_id="arrive:1",
        )  # fmt: skip
    before = _departure_records()
    refused(
        "traveller", movement.arrival_record, traveller=spouse, user=coordinator,
        at=AT + dt.timedelta(hours=2), device_event_id="arrive:2",
    )  # fmt: skip
    assert _departure_records() == before
    assert [r["event"] for r in before].count("traveller_arrived") == 1
    figures = departure_figures(live_records(), program=SAFE_PASSAGE)
    assert figures is not None and figures["arrived"] == 1
