"""Reads on departures: a convoy for a user, and its reconciled counts.

Per vehicle and per convoy: manifested = boarded + no-show (+ still waiting, before it
leaves) and boarded = arrived + removed + returned + unaccounted. Removals and returns
are counted from the incidents (a checkpoint may take people off without naming them);
the travellers still aboard with no fate recorded are listed by key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.cases.selectors import program_served_check
from sulh.core.errors import NotFound
from sulh.departures.models import Convoy, ConvoyEvent, IncidentKind, Traveller, TravellerStatus

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
