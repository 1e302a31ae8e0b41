"""Phones and coordinators at once, on PostgreSQL (SQLite takes the write lock at BEGIN
IMMEDIATE, so two writes never overlap there): a scan delivered four times at the same
moment counts once, and two orders racing for the last seats do not both get them."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sulh.core.errors import SulhError
from sulh.departures import movement, services
from sulh.departures.models import Traveller, TravellerEvent, TravellerStatus
from tests.departures.conftest import WHEN

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="two threads racing for one row lock: SQLite serialises every writer, so the "
        "race cannot happen there; CI's PostgreSQL run (DATABASE_URL=postgres://...) takes it",
    ),
    pytest.mark.django_db(transaction=True),
]
AT = WHEN["aleppo-2016-safe-passage"] + dt.timedelta(hours=3)


def _at_once(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Each call in its own thread (its own database connection), released together."""
    from django.db import connection

    barrier = threading.Barrier(len(calls), timeout=10)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_one_scan_delivered_four_times_at_once_counts_once(personas, departure_case, convoy):
    coordinator = personas["coordinator"]
    order = services.order_create(case=departure_case(), user=coordinator)
    bus = convoy().vehicles.get()
    services.order_place(order=order, vehicle=bus, user=coordinator)
    person = order.travellers.get()

    def scan() -> Any:
        return movement.boarding_record(
            traveller=person, vehicle=bus, user=coordinator, at=AT, device_event_id="phone:1"
        )

    results, errors = _at_once([scan] * 4)
    assert errors == []
    assert len({event.pk for event in results}) == 1
    assert TravellerEvent.objects.filter(traveller=person).count() == 1
    assert Traveller.objects.get(pk=person.pk).status == TravellerStatus.BOARDED


def test_two_orders_racing_for_the_last_seats_do_not_both_get_them(
    personas, departure_case, convoy
):
    coordinator = personas["coordinator"]
    orders = []
    for _ in range(2):
        case = departure_case()
        orders.append(
            services.order_create(
                case=case, user=coordinator,
                family_member_ids=[m.pk for m in case.intake.family.all()],
            )
        )  # fmt: skip
    bus = convoy(vehicles=(6,)).vehicles.get()  # room for one family of four

    def place(order: Any) -> Callable[[], Any]:
        return lambda: services.order_place(order=order, vehicle=bus, user=coordinator)

    results, errors = _at_once([place(order) for order in orders])
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], SulhError) and errors[0].field == "vehicle"
    assert Traveller.objects.filter(vehicle=bus).count() == 4
