"""What happens at the vehicle door and on the road: boarding, no-shows, departure,
incidents in transit, arrival. A device's event id makes a retried scan the same event
(never counted twice); a second scan of someone already boarded is refused, naming the
field; nothing already recorded changes when a step is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.audit.alerts import alert_raise
from sulh.audit.services import audit_record
from sulh.core.errors import Conflict, ValidationFailed
from sulh.departures.manifests import manifests_seal
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    ConvoyState,
    DepartureOrder,
    IncidentKind,
    OrderState,
    Traveller,
    TravellerEvent,
    TravellerStatus,
    Vehicle,
)
from sulh.departures.protection import protection_case_close
from sulh.departures.rules import departure_window, items_check
from sulh.departures.services import (
    BOARDED_ANY,
    convoy_event_record,
    convoy_locked,
    convoy_state_check,
    definition_of,
    departure_decision_check,
    items_replace,
    order_event_record,
    text_clean,
)
from sulh.ledger.services import ledger_append_record

DEVICE_EVENT_MAX = 64
NOTE_MAX = 2000
# incidents that account for persons, and the status of those they name
ACCOUNTING: dict[str, str] = {
    IncidentKind.REMOVED: TravellerStatus.REMOVED,
    IncidentKind.RETURNED: TravellerStatus.RETURNED,
}


def _device_event_id(value: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= DEVICE_EVENT_MAX:
        raise ValidationFailed(
            f"is required (1 to {DEVICE_EVENT_MAX} characters)", field="device_event_id"
        )
    return value


def _replayed(device_event_id: str, *, traveller: Traveller, event: str) -> TravellerEvent | None:
    """The event a device already delivered under this id, or None; the same id for
    another traveller or another step is refused."""
    seen = TravellerEvent.objects.filter(device_event_id=device_event_id).first()
    if seen is None:
        return None
    if seen.traveller_id != traveller.pk or seen.event != event:
        raise Conflict("this device event id was used for another scan", field="device_event_id")
    return seen


def _locked(traveller: Traveller, *, vehicle: Vehicle | None = None) -> tuple[Convoy, Traveller]:
    """The convoy of ``vehicle`` (or of the traveller's vehicle), then the traveller, locked
    in that order like every departure write."""
    convoy_id = (
        vehicle.convoy_id
        if vehicle is not None
        else Traveller.objects.filter(pk=traveller.pk)
        .values_list("vehicle__convoy", flat=True)
        .get()
    )
    if convoy_id is None:
        raise ValidationFailed("this traveller is not placed on a vehicle", field="traveller")
    convoy = Convoy.objects.select_for_update().get(pk=convoy_id)
    locked = Traveller.objects.select_for_update().select_related("order", "order__case")
    return convoy, locked.get(pk=traveller.pk)


def _traveller_event(
    traveller: Traveller,
    *,
    event: str,
    vehicle: Vehicle,
    actor: User,
    at: dt.datetime,
    device_event_id: str | None = None,
) -> TravellerEvent:
    record = TravellerEvent.objects.create(
        traveller=traveller,
        vehicle=vehicle,
        event=event,
        device_event_id=device_event_id,
        actor=actor,
        at=at,
    )
    audit_record(
        actor=actor,
        action=f"departure.traveller_{event}",
        obj_type="traveller",
        obj_id=str(traveller.pk),
        details={"vehicle": vehicle.number, "convoy": vehicle.convoy_id},
    )
    return record


def _status_record(
    traveller: Traveller,
    *,
    status: str,
    vehicle: Vehicle,
    actor: User,
    at: dt.datetime,
    device_event_id: str,
) -> TravellerEvent:
    """The traveller (locked by the caller) is now ``status``, and the event says so."""
    traveller.status = status
    traveller.save(update_fields=["status"])
    return _traveller_event(
        traveller,
        event=status,
        vehicle=vehicle,
        actor=actor,
        at=at,
        device_event_id=device_event_id,
    )


def _once(device_event_id: str, traveller: Traveller, event: str, step: Any) -> TravellerEvent:
    """Run ``step`` unless the device delivered this event before; a delivery racing its
    retry meets the unique id and returns the event the first one recorded."""
    replayed = _replayed(device_event_id, traveller=traveller, event=event)
    if replayed is not None:
        return replayed
    try:
        with transaction.atomic():
            record: TravellerEvent = step()
            return record
    except IntegrityError:
        replayed = _replayed(device_event_id, traveller=traveller, event=event)
        if replayed is None:
            raise
        return replayed


def boarding_record(
    *,
    traveller: Traveller,
    vehicle: Vehicle,
    user: User,
    at: dt.datetime,
    device_event_id: str,
    items: Sequence[Mapping[str, Any]] | None = None,
    wounded: bool | None = None,
) -> TravellerEvent:
    """``traveller`` boarded ``vehicle`` (the one the order placed them on), carrying
    ``items`` when declared at the door (checked against the allowance); ``wounded`` when
    the officer at the door saw them wounded (a manifest category)."""
    require(user, Action.RECORD_BOARDING)
    device_event_id = _device_event_id(device_event_id)

    def step() -> TravellerEvent:
        convoy, locked = _locked(traveller, vehicle=vehicle)
        if seen := _replayed(device_event_id, traveller=locked, event="boarded"):
            return seen  # a retry that waited for the first delivery's locks
        convoy_state_check(convoy, states=[ConvoyState.PLANNED])
        _boarding_check(locked, vehicle=vehicle, convoy=convoy, at=at)
        if items is not None:
            definition = definition_of(locked.order.program_id)
            cleaned = items_check(
                items, definition=definition, is_child=locked.is_child, field="items"
            )
            items_replace(locked, cleaned)
        boarded = Traveller.objects.filter(vehicle=vehicle, status__in=BOARDED_ANY).count()
        if boarded >= vehicle.seats:
            raise ValidationFailed(f"vehicle {vehicle.number} is full", field="vehicle")
        DepartureOrder.objects.filter(pk=locked.order_id, state=OrderState.OPEN).update(
            state=OrderState.BOARDING
        )
        if wounded is not None:
            locked.wounded = bool(wounded)
            locked.save(update_fields=["wounded"])
        return _status_record(
            locked,
            status=TravellerStatus.BOARDED,
            vehicle=vehicle,
            actor=user,
            at=at,
            device_event_id=device_event_id,
        )

    return _once(device_event_id, traveller, "boarded", step)


def _boarding_check(
    traveller: Traveller, *, vehicle: Vehicle, convoy: Convoy, at: dt.datetime
) -> None:
    order = traveller.order
    if order.state == OrderState.CANCELLED or traveller.status == TravellerStatus.WITHDRAWN:
        raise ValidationFailed("is not on a departure order in effect", field="traveller")
    departure_decision_check(order.case)
    if order.convoy_id != convoy.pk:
        raise ValidationFailed("this traveller belongs to another convoy", field="convoy")
    if traveller.status == TravellerStatus.BOARDED:
        raise Conflict("this traveller has already boarded", field="traveller")
    if traveller.status != TravellerStatus.MANIFESTED:
        raise Conflict(f"this traveller is recorded as {traveller.status}", field="traveller")
    if traveller.vehicle_id != vehicle.pk:
        raise ValidationFailed("this traveller is placed on another vehicle", field="vehicle")
    if at > order.window_closes_at:
        raise ValidationFailed("is after the program's window closed", field="at")


def no_show_record(
    *, traveller: Traveller, user: User, at: dt.datetime, device_event_id: str
) -> TravellerEvent:
    """``traveller`` did not come to their vehicle before it left."""
    require(user, Action.RECORD_BOARDING)
    device_event_id = _device_event_id(device_event_id)

    def step() -> TravellerEvent:
        convoy, locked = _locked(traveller)
        if seen := _replayed(device_event_id, traveller=locked, event="no_show"):
            return seen
        convoy_state_check(convoy, states=[ConvoyState.PLANNED])
        assert locked.vehicle is not None
        if locked.status != TravellerStatus.MANIFESTED:
            raise Conflict(f"this traveller is recorded as {locked.status}", field="traveller")
        return _status_record(
            locked,
            status=TravellerStatus.NO_SHOW,
            vehicle=locked.vehicle,
            actor=user,
            at=at,
            device_event_id=device_event_id,
        )

    return _once(device_event_id, traveller, "no_show", step)


def convoy_depart(
    *, convoy: Convoy, user: User, at: dt.datetime, crossing: str = ""
) -> ConvoyEvent:
    """The convoy left: everyone placed on it who has not boarded is recorded as a
    no-show, its orders close, and a child left with no adult of the order aboard is
    flagged to child protection. Refused after the program's window."""
    require(user, Action.RECORD_CONVOY_MOVEMENT)
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.PLANNED])
        closes = departure_window(definition_of(convoy.program_id))[1]
        if at > closes:
            raise ValidationFailed("is after the program's window closed", field="at")
        if crossing:
            convoy.crossing = text_clean(crossing, field="crossing")
        no_shows = _no_shows_at_departure(convoy, user=user, at=at)
        _unaccompanied_children_flag(convoy, user=user)
        manifests_seal(convoy=convoy, at=at)
        DepartureOrder.objects.filter(convoy=convoy).exclude(state=OrderState.CANCELLED).update(
            state=OrderState.CLOSED
        )
        convoy.state, convoy.departed_at = ConvoyState.DEPARTED, at
        convoy.save(update_fields=["state", "departed_at", "crossing"])
        boarded = Traveller.objects.filter(vehicle__convoy=convoy, status__in=BOARDED_ANY).count()
        return convoy_event_record(
            convoy,
            event="departed",
            actor=user,
            at=at,
            crossing_changed=bool(crossing),
            boarded=boarded,
            no_show=no_shows,
            vehicles=convoy.vehicles.filter(travellers__status__in=BOARDED_ANY).distinct().count(),
        )


def _no_shows_at_departure(convoy: Convoy, *, user: User, at: dt.datetime) -> int:
    waiting = list(
        Traveller.objects.filter(
            vehicle__convoy=convoy, status=TravellerStatus.MANIFESTED
        ).select_related("vehicle")
    )
    Traveller.objects.filter(pk__in=[t.pk for t in waiting]).update(status=TravellerStatus.NO_SHOW)
    TravellerEvent.objects.bulk_create(
        TravellerEvent(traveller=t, vehicle=t.vehicle, event="no_show", actor=user, at=at)
        for t in waiting
    )
    return len(waiting)


def _unaccompanied_children_flag(convoy: Convoy, *, user: User) -> None:
    aboard = Traveller.objects.filter(vehicle__convoy=convoy, status=TravellerStatus.BOARDED)
    orders_with_children = set(aboard.filter(is_child=True).values_list("order_id", flat=True))
    orders_with_adults = set(aboard.filter(is_child=False).values_list("order_id", flat=True))
    for order in DepartureOrder.objects.filter(pk__in=orders_with_children - orders_with_adults):
        order.unaccompanied_child = True
        order.save(update_fields=["unaccompanied_child", "updated_at"])
        order_event_record(order, event="unaccompanied_child", actor=user, convoy=convoy.pk)
        alert_raise(
            actor=user,
            kind="unaccompanied_child_to_child_protection",
            details={"order": order.pk, "convoy": convoy.pk},
        )


def incident_record(
    *,
    convoy: Convoy,
    user: User,
    kind: str,
    at: dt.datetime,
    vehicle: Vehicle | None = None,
    count: int = 0,
    travellers: Sequence[Traveller] = (),
    note: str = "",
    duration_minutes: int | None = None,
) -> ConvoyEvent:
    """Something happened in transit: stopped (where, by whom: the note, sealed; how long),
    persons removed or returned (how many, and who when known), stranded, a vehicle lost.
    Refused on a convoy that has not left or has arrived. Each raises an alert."""
    require(user, Action.RECORD_CONVOY_MOVEMENT)
    if kind not in IncidentKind.values:
        raise ValidationFailed(f"must be one of {', '.join(IncidentKind.values)}", field="kind")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"must be at most {NOTE_MAX} characters", field="note")
    if duration_minutes is not None and not 0 <= duration_minutes <= 60 * 24 * 30:
        raise ValidationFailed("must be from 0 to 43200 minutes", field="duration_minutes")
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.DEPARTED])
        if vehicle is not None and vehicle.convoy_id != convoy.pk:
            raise ValidationFailed("is a vehicle of another convoy", field="vehicle")
        named: list[Traveller] = []
        if kind in ACCOUNTING:
            named = _accounting_check(convoy, vehicle=vehicle, count=count, travellers=travellers)
            Traveller.objects.filter(pk__in=[t.pk for t in named]).update(status=ACCOUNTING[kind])
            for traveller in named:
                assert vehicle is not None
                _traveller_event(traveller, event=kind, vehicle=vehicle, actor=user, at=at)
        elif kind == IncidentKind.VEHICLE_LOST and vehicle is None:
            raise ValidationFailed("name the vehicle lost", field="vehicle")
        details: dict[str, Any] = {"named": len(named)}
        if duration_minutes is not None:
            details["duration_minutes"] = duration_minutes
        record = convoy_event_record(
            convoy,
            event=kind,
            actor=user,
            at=at,
            vehicle=vehicle,
            count=count if kind in ACCOUNTING else 0,
            note=note,
            **details,
        )
        ledger_append_record(
            {
                "event": "convoy_incident",
                "program": convoy.program.code,
                "day": at.date().isoformat(),
                "convoy": convoy.pk,
                "kind": kind,
                **({"vehicle": vehicle.number} if vehicle is not None else {}),
                "count": record.count,
            }
        )
        alert_raise(
            actor=user, kind=f"convoy_{kind}", details={"convoy": convoy.pk, "count": record.count}
        )
    return record


def _accounting_check(
    convoy: Convoy, *, vehicle: Vehicle | None, count: int, travellers: Sequence[Traveller]
) -> list[Traveller]:
    """A removal or return counts persons on one vehicle, never more than remain aboard it
    unaccounted for; the travellers it names must be aboard that vehicle."""
    if vehicle is None:
        raise ValidationFailed("name the vehicle the persons were on", field="vehicle")
    if not isinstance(count, int) or count < 1:
        raise ValidationFailed("how many persons: at least 1", field="count")
    if len(travellers) > count:
        raise ValidationFailed("names more travellers than the count", field="travellers")
    named = []
    for index, traveller in enumerate(travellers):
        locked = Traveller.objects.select_for_update().get(pk=traveller.pk)
        if locked.vehicle_id != vehicle.pk or locked.status != TravellerStatus.BOARDED:
            raise ValidationFailed(
                "is not aboard this vehicle unaccounted for", field=f"travellers[{index}]"
            )
        named.append(locked)
    counts = vehicle_counts(vehicle)
    if count > counts["unaccounted"]:
        raise ValidationFailed(
            f"only {counts['unaccounted']} persons aboard vehicle {vehicle.number} are not yet "
            "accounted for",
            field="count",
        )
    return named


def vehicle_counts(vehicle: Vehicle) -> dict[str, int]:
    boarded = Traveller.objects.filter(vehicle=vehicle, status__in=BOARDED_ANY).count()
    arrived = Traveller.objects.filter(vehicle=vehicle, status=TravellerStatus.ARRIVED).count()
    accounted = (
        ConvoyEvent.objects.filter(vehicle=vehicle, event__in=list(ACCOUNTING)).aggregate(
            n=Sum("count")
        )["n"]
        or 0
    )
    return {"boarded": boarded, "unaccounted": boarded - arrived - accounted}


def arrival_record(
    *, traveller: Traveller, user: User, at: dt.datetime, device_event_id: str
) -> TravellerEvent:
    """``traveller`` was scanned on arrival; refused for someone who never boarded."""
    require(user, Action.RECORD_BOARDING)
    device_event_id = _device_event_id(device_event_id)

    def step() -> TravellerEvent:
        convoy, locked = _locked(traveller)
        if seen := _replayed(device_event_id, traveller=locked, event="arrived"):
            return seen
        if locked.status in (
            TravellerStatus.MANIFESTED,
            TravellerStatus.NO_SHOW,
            TravellerStatus.WITHDRAWN,
        ):
            raise Conflict("this traveller never boarded", field="traveller")
        if locked.status != TravellerStatus.BOARDED:
            raise Conflict(f"this traveller is recorded as {locked.status}", field="traveller")
        assert locked.vehicle is not None
        convoy_state_check(convoy, states=[ConvoyState.DEPARTED, ConvoyState.ARRIVED])
        if convoy.departed_at and at < convoy.departed_at:
            raise ValidationFailed("is before the convoy departed", field="at")
        ledger_append_record(
            {
                "event": "traveller_arrived",
                "program": convoy.program.code,
                "day": at.date().isoformat(),
                "convoy": convoy.pk,
                "vehicle": locked.vehicle.number,
                "count": 1,
            }
        )
        protection_case_close(locked, user=user, at=at, how="arrived")
        return _status_record(
            locked,
            status=TravellerStatus.ARRIVED,
            vehicle=locked.vehicle,
            actor=user,
            at=at,
            device_event_id=device_event_id,
        )

    return _once(device_event_id, traveller, "arrived", step)


def convoy_arrive(*, convoy: Convoy, user: User, at: dt.datetime, place: str = "") -> ConvoyEvent:
    """The convoy reached its destination (arrival scans may go on after this), or
    ``place``: another destination of the program, or somewhere else (free text). A place
    that is not the convoy's destination is a deviation: recorded, with how many of its
    orders do not allow it, and an alert."""
    require(user, Action.RECORD_CONVOY_MOVEMENT)
    place = text_clean(place, field="place") if (place or "").strip() else ""
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.DEPARTED])
        if convoy.departed_at and at < convoy.departed_at:
            raise ValidationFailed("is before the convoy departed", field="at")
        deviation = bool(place) and place != convoy.destination
        convoy.state, convoy.arrived_at = ConvoyState.ARRIVED, at
        convoy.arrived_place = place if deviation else ""
        convoy.save(update_fields=["state", "arrived_at", "arrived_place"])
        details: dict[str, Any] = {}
        if deviation:
            details = {"deviation": True, "orders_not_allowed": _orders_not_allowing(convoy, place)}
        record = convoy_event_record(convoy, event="arrived", actor=user, at=at, **details)
        known = place in {d.id for d in definition_of(convoy.program_id).destinations}
        ledger_append_record(
            {
                "event": "convoy_arrived",
                "program": convoy.program.code,
                "day": at.date().isoformat(),
                "convoy": convoy.pk,
                "destination": (place if known else "other") if deviation else convoy.destination,
                "deviation": int(deviation),
            }
        )
        if deviation:
            alert_raise(
                actor=user,
                kind="convoy_deviation",
                details={"convoy": convoy.pk, "orders_not_allowed": details["orders_not_allowed"]},
            )
        return record


def _orders_not_allowing(convoy: Convoy, place: str) -> int:
    orders = DepartureOrder.objects.filter(convoy=convoy).exclude(state=OrderState.CANCELLED)
    return sum(place not in order.allowed_destinations for order in orders)
