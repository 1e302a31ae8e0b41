"""Reads on departures: a convoy for a user, and its reconciled counts.

Per vehicle and per convoy: manifested = boarded + no-show (+ still waiting, before it
leaves) and boarded = arrived + removed + returned + unaccounted. Removals and returns
are counted from the incidents (a checkpoint may take people off without naming them);
the travellers still aboard with no fate recorded are listed by key.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from sulh.accounts.models import User
from sulh.accounts.policy import Action, program_bound, require
from sulh.audit.alerts import ALERT_PREFIX
from sulh.audit.models import AuditEntry
from sulh.cases.models import Case, Outcome
from sulh.cases.selectors import cases_visible_to, program_served_check
from sulh.core.errors import NotFound, ValidationFailed
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    DepartureOrder,
    IncidentKind,
    OrderState,
    Traveller,
    TravellerStatus,
    Vehicle,
)
from sulh.departures.services import DEPARTING_STATES, SEATED

COUNTED = (
    "manifested",
    "waiting",
    "boarded",
    "no_show",
    "arrived",
    "removed",
    "returned",
    "unaccounted",
)


@dataclass
class Counts:
    manifested: int = 0
    waiting: int = 0  # placed, neither boarded nor a no-show yet (before departure)
    boarded: int = 0
    no_show: int = 0
    arrived: int = 0
    removed: int = 0
    returned: int = 0
    unaccounted: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTED}


@dataclass
class Reconciliation:
    convoy: int
    state: str
    vehicles: dict[int, Counts]  # by vehicle number
    total: Counts
    # travellers aboard with no arrival, removal or return recorded (by key); when a
    # removal was counted without names, those persons are among them
    not_accounted_for: list[int] = field(default_factory=list)


def convoy_get_for_user(*, user: User, convoy_id: int, action: Action) -> Convoy:
    """The convoy, when ``user`` may take ``action`` and serves its program; else 404."""
    require(user, action)
    convoy = Convoy.objects.filter(pk=convoy_id).first()
    if convoy is None:
        raise NotFound("no such convoy", field="convoy")
    program_served_check(user=user, program_id=convoy.program_id, field="convoy")
    return convoy


_BY_STATUS = {
    TravellerStatus.MANIFESTED: ("waiting",),
    TravellerStatus.NO_SHOW: ("no_show",),
    TravellerStatus.BOARDED: ("boarded",),
    TravellerStatus.ARRIVED: ("boarded", "arrived"),
    # named in an incident: counted by the incident's count, below
    TravellerStatus.REMOVED: ("boarded",),
    TravellerStatus.RETURNED: ("boarded",),
}


def convoy_reconcile(*, convoy: Convoy) -> Reconciliation:
    """The convoy's counts per vehicle and in all, in a few grouped queries."""
    convoy = Convoy.objects.get(pk=convoy.pk)  # as it is now, not as the caller last read it
    numbers = dict(convoy.vehicles.values_list("pk", "number"))
    per: dict[int, Counts] = defaultdict(Counts)
    rows = (
        Traveller.objects.filter(vehicle__convoy=convoy)
        .values_list("vehicle_id", "status")
        .annotate(n=Count("id"))
    )
    for vehicle_id, status, n in rows:
        for name in _BY_STATUS.get(status, ()):
            setattr(per[vehicle_id], name, getattr(per[vehicle_id], name) + n)
    incidents = (
        ConvoyEvent.objects.filter(
            convoy=convoy, event__in=[IncidentKind.REMOVED, IncidentKind.RETURNED]
        )
        .values_list("vehicle_id", "event")
        .annotate(n=Sum("count"))
    )
    for vehicle_id, event, n in incidents:
        setattr(per[vehicle_id], str(event), getattr(per[vehicle_id], str(event)) + (n or 0))
    total = Counts()
    vehicles: dict[int, Counts] = {}
    for vehicle_id, number in sorted(numbers.items(), key=lambda item: item[1]):
        counts = per[vehicle_id]
        counts.manifested = counts.boarded + counts.no_show + counts.waiting
        counts.unaccounted = counts.boarded - counts.arrived - counts.removed - counts.returned
        vehicles[number] = counts
        total.add(counts)
    aboard = Traveller.objects.filter(vehicle__convoy=convoy, status=TravellerStatus.BOARDED)
    return Reconciliation(
        convoy=convoy.pk,
        state=convoy.state,
        vehicles=vehicles,
        total=total,
        not_accounted_for=list(aboard.order_by("pk").values_list("pk", flat=True))
        if convoy.departed_at
        else [],
    )


def order_get_for_user(*, user: User, order_id: int, action: Action) -> DepartureOrder:
    """The order, when ``user`` may take ``action`` and may see its case; else 404 (the
    role is asked first: 403 whether or not the order exists)."""
    require(user, action)
    order = (
        DepartureOrder.objects.select_related("case", "case__intake")
        .filter(pk=order_id, case__in=cases_visible_to(user=user))
        .first()
    )
    if order is None:
        raise NotFound("no such departure order among those you may see", field="order")
    return order


def vehicle_of(convoy: Convoy, *, number: int, field: str = "vehicle") -> Vehicle:
    """The convoy's vehicle by its number in the convoy; else 404 naming ``field``."""
    vehicle = Vehicle.objects.filter(convoy=convoy, number=number).first()
    if vehicle is None:
        raise NotFound(f"the convoy has no vehicle {number}", field=field)
    return vehicle


def traveller_of(
    convoy: Convoy, *, traveller_id: int, placed: bool = False, field: str = "traveller"
) -> Traveller:
    """A traveller of the convoy's program (placed on one of its vehicles when ``placed``),
    by key; else 404, so a device learns nothing of another program's travellers."""
    found = Traveller.objects.filter(pk=traveller_id, order__program_id=convoy.program_id)
    if placed:
        found = found.filter(vehicle__convoy=convoy)
    traveller = found.first()
    if traveller is None:
        raise NotFound("no such traveller on this convoy", field=field)
    return traveller


# alerts about a convoy: the services raise these with the convoy's key in their details
CONVOY_ALERTS = (
    "departure_family_split",
    "unaccompanied_child_to_child_protection",
    *(f"convoy_{kind}" for kind in IncidentKind.values),
    "convoy_deviation",
    "convoy_stranded_over_limit",
    "protection_case_opened",
)


@dataclass(frozen=True)
class ConvoyAlert:
    kind: str
    at: dt.datetime
    details: dict[str, Any]


def convoy_alerts(*, convoy: Convoy) -> list[ConvoyAlert]:
    """The alerts raised about ``convoy`` (a family split, an unaccompanied child, each
    incident), oldest first; their details are keys and counts only."""
    entries = AuditEntry.objects.filter(
        action__in=[f"{ALERT_PREFIX}{kind}" for kind in CONVOY_ALERTS],
        at__gte=convoy.created_at,
    ).order_by("seq")
    alerts = []
    for entry in entries:
        details = entry.details
        if details.get("convoy") == convoy.pk:
            kind = entry.action.removeprefix(ALERT_PREFIX)
            alerts.append(ConvoyAlert(kind=kind, at=entry.at, details=details))
    return alerts


# --- What the staff pages list ---------------------------------------------------------------


def orders_to_place(*, user: User) -> QuerySet[DepartureOrder]:
    """The open departure orders not yet on a vehicle, of the cases ``user`` may see,
    oldest first."""
    require(user, Action.PLAN_DEPARTURES)
    return (
        DepartureOrder.objects.filter(
            state=OrderState.OPEN, convoy__isnull=True, case__in=cases_visible_to(user=user)
        )
        .select_related("case__intake", "program")
        .annotate(
            travelling=Count("travellers", filter=~Q(travellers__status=TravellerStatus.WITHDRAWN))
        )
        .order_by("created_at", "pk")
    )


def cases_awaiting_order(*, user: User) -> QuerySet[Case]:
    """The cases ``user`` may see whose decision in effect is a departure and that have no
    order in effect yet, oldest decision first."""
    require(user, Action.PLAN_DEPARTURES)
    in_effect = DepartureOrder.objects.filter(
        state__in=[OrderState.OPEN, OrderState.BOARDING]
    ).values("case_id")
    return (
        cases_visible_to(user=user)
        .filter(state__in=DEPARTING_STATES, outcome=Outcome.DEPARTURE)
        .exclude(pk__in=in_effect)
        .select_related("intake", "program")
        .order_by("decided_at", "pk")
    )


def convoys_for_user(*, user: User, action: Action) -> QuerySet[Convoy]:
    """The convoys of the programs ``user`` serves, newest first."""
    require(user, action)
    convoys = Convoy.objects.select_related("program").order_by("-departs_from", "-pk")
    if program_bound(user):
        convoys = convoys.filter(program__in=user.services.values("program"))
    return convoys


def vehicles_with_seats(convoy: Convoy) -> QuerySet[Vehicle]:
    """The convoy's vehicles in order, each with ``taken``: the seats its placed
    travellers hold (waiting or boarded)."""
    return convoy.vehicles.order_by("number").annotate(
        taken=Count("travellers", filter=Q(travellers__status__in=SEATED))
    )


def traveller_of_card_holder(convoy: Convoy, *, case_id: int, field: str = "code") -> Traveller:
    """The card holder's own traveller (the order's person) on ``convoy``: refused, naming
    ``convoy``, when their order is on another convoy; 404 when they have none in this
    program."""
    found = (
        Traveller.objects.filter(
            order__case_id=case_id,
            order__program_id=convoy.program_id,
            family_member__isnull=True,
        )
        .exclude(order__state=OrderState.CANCELLED)
        .exclude(status=TravellerStatus.WITHDRAWN)
        .select_related("order")
        .order_by("-pk")
    )
    travellers = list(found[:5])
    here = next((t for t in travellers if t.order.convoy_id == convoy.pk), None)
    if here is not None:
        return here
    if travellers:
        raise ValidationFailed("this card's holder belongs to another convoy", field="convoy")
    raise NotFound("no departure order for this card's holder on this convoy", field=field)
