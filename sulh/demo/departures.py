"""The demo's departures: for each program with departure decisions, orders, a convoy per
destination with buses enough, boarding (a few do not show, some seen wounded), departure,
one convoy stopped at a checkpoint with people removed, arrival scans, one person never
scanned on arrival (a protection case when arrivals close). Through the real services,
in each program's own window; a program that already has convoys is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sulh.accounts.models import User
from sulh.cases.models import Case, Outcome
from sulh.core.errors import SulhError
from sulh.departures import movement, protection, services
from sulh.departures.models import Convoy, DepartureOrder, Traveller, TravellerStatus
from sulh.departures.rules import departure_window
from sulh.departures.selectors import vehicles_with_seats
from sulh.programs.services import program_get, program_get_definition

SEATS = 50
NO_SHOW_SHARE = 0.05
WOUNDED_SHARE = 0.03


def demo_departures(*, seed: int, programs: list[str]) -> int:
    """Build, board, depart and arrive the programs' convoys; returns how many departed."""
    rng = random.Random(seed + 3)
    coordinator = User.objects.get(username="evacuation")
    departed: list[Convoy] = []
    for code in programs:
        if Convoy.objects.filter(program=program_get(code=code)).exists():
            continue  # the demo ran before: its convoys stay as they are
        departed += _program_convoys(code, coordinator=coordinator, rng=rng)
    if departed:
        _removal(departed[0], user=coordinator)
    for index, convoy in enumerate(departed):
        _arrive(convoy, user=coordinator, missing=1 if index == len(departed) - 1 else 0)
    return len(departed)


def _orders(code: str, *, coordinator: User) -> dict[str, list[DepartureOrder]]:
    by_destination: dict[str, list[DepartureOrder]] = defaultdict(list)
    cases = Case.objects.filter(
        program__code=code, state__in=services.DEPARTING_STATES, outcome=Outcome.DEPARTURE
    ).order_by("pk")
    for case in cases:
        try:
            order = services.order_create(
                case=case,
                user=coordinator,
                family_member_ids=list(case.intake.family.values_list("pk", flat=True)),
            )
        except SulhError:
            continue  # e.g. no destination this person may go to: left for an officer
        by_destination[order.destination].append(order)
    return by_destination


def _program_convoys(code: str, *, coordinator: User, rng: random.Random) -> list[Convoy]:
    opens, closes = departure_window(program_get_definition(code=code))
    start = max(opens, closes - dt.timedelta(hours=8))
    convoys = []
    for destination, orders in sorted(_orders(code, coordinator=coordinator).items()):
        convoy = services.convoy_create(
            user=coordinator, program=code, destination=destination, departs_from=start,
            departs_until=closes - dt.timedelta(minutes=30), assembly_point="Assembly point",
            crossing="Ramouseh road", escorts=["SARC"],
        )  # fmt: skip
        for order in orders:
            _place(convoy, order, user=coordinator)
        _board(convoy, user=coordinator, at=start + dt.timedelta(hours=1), rng=rng)
        movement.convoy_depart(convoy=convoy, user=coordinator, at=start + dt.timedelta(hours=2))
        convoys.append(Convoy.objects.get(pk=convoy.pk))  # as departure left it
    return convoys


def _place(convoy: Convoy, order: DepartureOrder, *, user: User) -> None:
    size = order.travellers.filter(status=TravellerStatus.MANIFESTED).count()
    for vehicle in vehicles_with_seats(convoy):
        if vehicle.seats - getattr(vehicle, "taken", vehicle.seats) >= size:  # annotated
            break
    else:
        vehicle = services.vehicle_add(
            convoy=convoy, user=user, kind="bus", seats=max(SEATS, size),
            plate=f"DEMO-{convoy.pk}-{convoy.vehicles.count() + 1}",
        )  # fmt: skip
    services.order_place(order=order, vehicle=vehicle, user=user)


def _board(convoy: Convoy, *, user: User, at: dt.datetime, rng: random.Random) -> None:
    waiting = Traveller.objects.filter(
        vehicle__convoy=convoy, status=TravellerStatus.MANIFESTED
    ).select_related("vehicle")
    for traveller in waiting.order_by("pk"):
        if rng.random() < NO_SHOW_SHARE:
            continue  # did not come: a no-show at departure
        assert traveller.vehicle is not None
        movement.boarding_record(
            traveller=traveller, vehicle=traveller.vehicle, user=user, at=at,
            device_event_id=f"demo-board-{traveller.pk}", wounded=rng.random() < WOUNDED_SHARE,
        )  # fmt: skip


def _removal(convoy: Convoy, *, user: User) -> None:
    """Stopped at a checkpoint for an hour and a half; two men taken off the first bus."""
    assert convoy.departed_at is not None
    at = convoy.departed_at + dt.timedelta(hours=1)
    movement.incident_record(
        convoy=convoy, user=user, kind="stopped", at=at, duration_minutes=90,
        note="stopped at a checkpoint on the road",
    )  # fmt: skip
    bus = convoy.vehicles.order_by("number").first()
    aboard = list(
        Traveller.objects.filter(
            vehicle=bus, status=TravellerStatus.BOARDED, is_child=False
        ).order_by("pk")[:2]
    )
    if bus is not None and aboard:
        movement.incident_record(
            convoy=convoy, user=user, kind="removed", at=at, vehicle=bus,
            count=len(aboard), travellers=aboard,
        )  # fmt: skip


def _arrive(convoy: Convoy, *, user: User, missing: int) -> None:
    """Arrival, then a scan of everyone aboard but ``missing`` of them; arrivals close."""
    assert convoy.departed_at is not None
    at = convoy.departed_at + dt.timedelta(hours=5)
    movement.convoy_arrive(convoy=convoy, user=user, at=at)
    aboard = Traveller.objects.filter(vehicle__convoy=convoy, status=TravellerStatus.BOARDED)
    for traveller in list(aboard.order_by("pk"))[missing:]:
        movement.arrival_record(
            traveller=traveller, user=user, at=at, device_event_id=f"demo-arrive-{traveller.pk}"
        )
    protection.arrivals_close(convoy=convoy, user=user, at=at + dt.timedelta(hours=1))
