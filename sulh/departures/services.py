"""Writes on departures: orders from departure decisions, convoys and their vehicles,
placing orders on vehicles. Each checks everything before it writes anything, so a
refused step leaves what was saved as it was; each change records who, when and why.

Boarding, no-shows, departure, incidents and arrival are in ``movement.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.audit.alerts import alert_raise
from sulh.audit.services import audit_record
from sulh.cases.models import Case, Outcome, State
from sulh.cases.selectors import cases_visible_to, program_served_check
from sulh.core.errors import Conflict, NotFound, ValidationFailed
from sulh.core.validation import reason_clean
from sulh.departures.models import (
    CarriedItem,
    Convoy,
    ConvoyEvent,
    ConvoyState,
    DepartureOrder,
    Escort,
    OrderEvent,
    OrderState,
    Traveller,
    TravellerStatus,
    Vehicle,
    VehicleKind,
)
from sulh.departures.rules import departure_window, items_check
from sulh.programs.definition import ProgramDefinition
from sulh.programs.models import Program
from sulh.programs.services import program_get, program_get_definition

PLACE_MAX = 120
SEATS_MAX = 120
DEPARTING_STATES = frozenset({State.DECIDED, State.CARD_ISSUED})
# a traveller in one of these holds a seat
SEATED = (TravellerStatus.MANIFESTED, TravellerStatus.BOARDED)
# what a traveller is after boarding, whatever became of them
BOARDED_ANY = (
    TravellerStatus.BOARDED,
    TravellerStatus.ARRIVED,
    TravellerStatus.REMOVED,
    TravellerStatus.RETURNED,
)
PERSON = "person"  # the key of the case's own person in ``items``

Items = Mapping[int | str, Sequence[Mapping[str, Any]]]


def text_clean(value: str, *, field: str, most: int = PLACE_MAX) -> str:
    value = " ".join((value or "").split())
    if not 1 <= len(value) <= most:
        raise ValidationFailed(f"is required (1 to {most} characters)", field=field)
    return value


def departure_decision_check(case: Case, *, field: str = "case") -> None:
    """Refuse a case whose decision in effect is not a departure."""
    if case.state not in DEPARTING_STATES or case.outcome != Outcome.DEPARTURE:
        raise ValidationFailed("this person has no departure decision in effect", field=field)


def definition_of(program_id: int) -> ProgramDefinition:
    return program_get_definition(code=Program.objects.get(pk=program_id).code)


def order_event_record(
    order: DepartureOrder, *, event: str, actor: User, reason: str = "", **details: Any
) -> OrderEvent:
    record = OrderEvent.objects.create(
        order=order, event=event, actor=actor, at=timezone.now(), reason=reason, details=details
    )
    audit_record(
        actor=actor,
        action=f"departure.order_{event}",
        obj_type="departure_order",
        obj_id=str(order.pk),
        purpose=reason[:300],
        details=details,
    )
    return record


# --- Orders -------------------------------------------------------------------------------


def order_create(
    *,
    case: Case,
    user: User,
    family_member_ids: Sequence[int] = (),
    destination: str = "",
    items: Items | None = None,
) -> DepartureOrder:
    """A departure order from ``case``'s departure decision: the person and the family
    members who travel with them, where to (among the destinations the program allows
    them), what each carries, and the program's window."""
    require(user, Action.PLAN_DEPARTURES)
    if not cases_visible_to(user=user).filter(pk=case.pk).exists():
        raise NotFound("no such case among those you may see", field="case")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("intake", "program").get(pk=case.pk)
        departure_decision_check(case)
        if DepartureOrder.objects.filter(
            case=case, state__in=[OrderState.OPEN, OrderState.BOARDING]
        ).exists():
            raise Conflict("this case already has a departure order in effect", field="case")
        definition = program_get_definition(code=case.program.code)
        allowed = list(definition.destinations_for(case.intake.affiliation or None))
        destination = _destination_check(destination or case.destination, allowed=allowed)
        family = _family_check(case, family_member_ids)
        carried = _items_for(items or {}, definition=definition, family=family)
        order = DepartureOrder.objects.create(
            case=case,
            program=case.program,
            allowed_destinations=allowed,
            destination=destination,
            window_closes_at=departure_window(definition)[1],
            created_by=user,
            created_at=timezone.now(),
        )
        _travellers_add(order, principal=True, family=family, carried=carried)
        order_event_record(order, event="created", actor=user, travellers=1 + len(family))
    return order


def _destination_check(destination: str, *, allowed: Sequence[str]) -> str:
    if not destination:
        raise ValidationFailed(f"is required; permitted: {', '.join(allowed)}", field="destination")
    if destination not in allowed:
        raise ValidationFailed(
            f"is not permitted for this person; permitted: {', '.join(allowed)}",
            field="destination",
        )
    return destination


def _family_check(case: Case, family_member_ids: Sequence[int]) -> dict[int, Any]:
    """The intake's family members chosen to travel, by id; refuses any other."""
    members = {member.pk: member for member in case.intake.family.all()}
    chosen: dict[int, Any] = {}
    for index, member_id in enumerate(family_member_ids):
        if member_id not in members:
            raise ValidationFailed(
                "is not a family member recorded at this person's intake",
                field=f"family_members[{index}]",
            )
        if member_id in chosen:
            raise ValidationFailed("is chosen twice", field=f"family_members[{index}]")
        chosen[member_id] = members[member_id]
    return chosen


def _items_for(
    items: Items, *, definition: ProgramDefinition, family: Mapping[int, Any]
) -> dict[int | str, list[dict[str, Any]]]:
    """Each traveller's items checked against the allowance: keyed by ``"person"`` or by
    the family member's id."""
    carried: dict[int | str, list[dict[str, Any]]] = {}
    for key, declared in items.items():
        if key != PERSON and key not in family:
            raise ValidationFailed("is not a traveller on this order", field=f"items[{key}]")
        is_child = key != PERSON and bool(family[int(key)].is_child)
        carried[key] = items_check(
            declared, definition=definition, is_child=is_child, field=f"items[{key}]"
        )
    return carried


def _travellers_add(
    order: DepartureOrder,
    *,
    principal: bool,
    family: Mapping[int, Any],
    carried: Mapping[int | str, list[dict[str, Any]]],
    vehicle: Vehicle | None = None,
) -> None:
    if principal:
        person = Traveller.objects.create(order=order, is_child=order.case.is_child)
        items_replace(person, carried.get(PERSON, []))
    for member_id, member in family.items():
        traveller, _ = Traveller.objects.update_or_create(
            order=order,
            family_member=member,
            defaults={
                "is_child": member.is_child,
                "status": TravellerStatus.MANIFESTED,
                "vehicle": vehicle,
            },
        )
        items_replace(traveller, carried.get(member_id, []))


def items_replace(traveller: Traveller, items: Sequence[Mapping[str, Any]]) -> None:
    traveller.items.all().delete()
    for item in items:
        CarriedItem.objects.create(traveller=traveller, **item)


def _order_locked(order: DepartureOrder) -> DepartureOrder:
    """The order, locked after its convoy (the lock order of every departure write), while
    it may still change (until boarding)."""
    convoy_id = DepartureOrder.objects.filter(pk=order.pk).values_list("convoy_id", flat=True).get()
    if convoy_id is not None:
        Convoy.objects.select_for_update().filter(pk=convoy_id).get()
    order = DepartureOrder.objects.select_for_update().select_related("case").get(pk=order.pk)
    if order.convoy_id != convoy_id:
        raise Conflict("the order was changed by someone else; reload it", field="order")
    if order.state != OrderState.OPEN:
        raise Conflict(f"the order is {order.state}: it no longer changes", field="order")
    return order


def order_change(
    *,
    order: DepartureOrder,
    user: User,
    reason: str,
    family_member_ids: Sequence[int] | None = None,
    destination: str | None = None,
    items: Items | None = None,
) -> DepartureOrder:
    """Change who travels, where to or what they carry, until boarding, saying why. A
    change of destination takes the order off its convoy; a family member added joins the
    person's vehicle if it has a seat."""
    require(user, Action.PLAN_DEPARTURES)
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        order = _order_locked(order)
        definition = definition_of(order.program_id)
        changes: dict[str, Any] = {}
        if destination is not None and destination != order.destination:
            order.destination = _destination_check(destination, allowed=order.allowed_destinations)
            changes["destination"] = True
            _unplace(order)
        family = _family_now(order) if family_member_ids is None else None
        if family_member_ids is not None:
            family = _family_check(order.case, family_member_ids)
            changes.update(_family_replace(order, family))
        if items is not None:
            assert family is not None
            carried = _items_for(items, definition=definition, family=family)
            for traveller in order.travellers.exclude(status=TravellerStatus.WITHDRAWN):
                key: int | str = traveller.family_member_id or PERSON
                if key in carried:
                    items_replace(traveller, carried[key])
            changes["items"] = sorted(str(key) for key in carried)
        if not changes:
            raise ValidationFailed("nothing to change", field="order")
        order.save(update_fields=["destination", "convoy", "split_reason", "updated_at"])
        order_event_record(order, event="changed", actor=user, reason=reason, **changes)
    return order


def _family_now(order: DepartureOrder) -> dict[int, Any]:
    members = order.travellers.exclude(status=TravellerStatus.WITHDRAWN).filter(
        family_member__isnull=False
    )
    return {
        t.family_member.pk: t.family_member
        for t in members.select_related("family_member")
        if t.family_member is not None
    }


def _family_replace(order: DepartureOrder, family: Mapping[int, Any]) -> dict[str, Any]:
    """Withdraw the members no longer travelling, add the new ones on the person's vehicle."""
    current = _family_now(order)
    gone = [member_id for member_id in current if member_id not in family]
    added = {k: v for k, v in family.items() if k not in current}
    order.travellers.filter(family_member_id__in=gone).update(
        status=TravellerStatus.WITHDRAWN, vehicle=None
    )
    vehicle = order.travellers.get(family_member__isnull=True).vehicle
    if vehicle is not None and added:
        free = vehicle.seats - Traveller.objects.filter(vehicle=vehicle, status__in=SEATED).count()
        if free < len(added):
            raise ValidationFailed(
                f"vehicle {vehicle.number} has {free} seats left; {len(added)} are added",
                field="family_members",
            )
    _travellers_add(order, principal=False, family=added, carried={}, vehicle=vehicle)
    return {"withdrawn": len(gone), "added": len(added)}


def order_cancel(*, order: DepartureOrder, user: User, reason: str) -> DepartureOrder:
    """The person changed their mind, or the decision changed: cancelled until boarding."""
    require(user, Action.PLAN_DEPARTURES)
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        order = _order_locked(order)
        convoy_id = order.convoy_id
        _unplace(order)
        order.travellers.update(status=TravellerStatus.WITHDRAWN)
        order.state = OrderState.CANCELLED
        order.save(update_fields=["state", "convoy", "updated_at"])
        order_event_record(order, event="cancelled", actor=user, reason=reason, convoy=convoy_id)
    return order


def _unplace(order: DepartureOrder) -> None:
    order.travellers.update(vehicle=None)
    order.convoy = None
    order.split_reason = ""


# --- Convoys ------------------------------------------------------------------------------


def convoy_create(
    *,
    user: User,
    program: str,
    destination: str,
    departs_from: dt.datetime,
    departs_until: dt.datetime,
    assembly_point: str,
    crossing: str,
    escorts: Sequence[str] = (),
) -> Convoy:
    """A convoy of ``program`` to one of its destinations, leaving within the program's
    window: a convoy planned after the window closes is refused."""
    require(user, Action.PLAN_DEPARTURES)
    row = program_get(code=program)
    program_served_check(user=user, program_id=row.pk)
    definition = program_get_definition(code=program)
    destinations = [d.id for d in definition.destinations]
    if destination not in destinations:
        raise ValidationFailed(
            f"is not a destination of {program}; its destinations: {', '.join(destinations)}",
            field="destination",
        )
    _convoy_window_check(definition, departs_from=departs_from, departs_until=departs_until)
    assembly_point = text_clean(assembly_point, field="assembly_point")
    crossing = text_clean(crossing, field="crossing")
    organisations = [text_clean(e, field=f"escorts[{i}]") for i, e in enumerate(escorts)]
    with transaction.atomic():
        convoy = Convoy.objects.create(
            program=row,
            destination=destination,
            departs_from=departs_from,
            departs_until=departs_until,
            assembly_point=assembly_point,
            crossing=crossing,
            created_by=user,
            created_at=timezone.now(),
        )
        Escort.objects.bulk_create(Escort(convoy=convoy, organisation=o) for o in organisations)
        convoy_event_record(convoy, event="created", actor=user, at=convoy.created_at)
    return convoy


def _convoy_window_check(
    definition: ProgramDefinition, *, departs_from: dt.datetime, departs_until: dt.datetime
) -> None:
    opens, closes = departure_window(definition)
    for field, value in (("departs_from", departs_from), ("departs_until", departs_until)):
        if value.tzinfo is None:
            raise ValidationFailed("must include a time zone", field=field)
    if departs_until <= departs_from:
        raise ValidationFailed("must come after departs_from", field="departs_until")
    if departs_from < opens:
        raise ValidationFailed(
            f"is before the program opens ({definition.local_time(opens)})", field="departs_from"
        )
    if departs_until > closes:
        raise ValidationFailed(
            f"is after the program's window closes ({definition.local_time(closes)})",
            field="departs_until",
        )


def convoy_event_record(
    convoy: Convoy,
    *,
    event: str,
    actor: User,
    at: dt.datetime,
    vehicle: Vehicle | None = None,
    count: int = 0,
    note: str = "",
    **details: Any,
) -> ConvoyEvent:
    record = ConvoyEvent.objects.create(
        convoy=convoy,
        vehicle=vehicle,
        event=event,
        count=count,
        actor=actor,
        at=at,
        note=note,
        details=details,
    )
    audit_record(
        actor=actor,
        action=f"departure.convoy_{event}",
        obj_type="convoy",
        obj_id=str(convoy.pk),
        details={
            **details,
            **({"vehicle": vehicle.number} if vehicle else {}),
            **({"count": count} if count else {}),
        },
    )
    return record


def convoy_locked(convoy: Convoy, *, states: Sequence[str], field: str = "convoy") -> Convoy:
    """The convoy, locked (its seats and counts change one writer at a time), in one of
    ``states``. Every write on a convoy's orders and travellers takes this lock first."""
    convoy = Convoy.objects.select_for_update().get(pk=convoy.pk)
    convoy_state_check(convoy, states=states, field=field)
    return convoy


def convoy_state_check(convoy: Convoy, *, states: Sequence[str], field: str = "convoy") -> None:
    if convoy.state not in states:
        raise Conflict(
            f"the convoy has {convoy.state}"
            if convoy.state != ConvoyState.PLANNED
            else "the convoy has not departed",
            field=field,
        )


def vehicle_add(
    *,
    convoy: Convoy,
    user: User,
    kind: str,
    plate: str,
    seats: int,
    driver: str = "",
    spare: bool = False,
) -> Vehicle:
    """The next vehicle of a convoy that has not left: its kind, plate or number, seats,
    driver (sealed), and whether it is an empty spare."""
    require(user, Action.PLAN_DEPARTURES)
    if kind not in VehicleKind.values:
        raise ValidationFailed(f"must be one of {', '.join(VehicleKind.values)}", field="kind")
    plate = text_clean(plate, field="plate", most=20)
    if not isinstance(seats, int) or not 1 <= seats <= SEATS_MAX:
        raise ValidationFailed(f"must be a whole number from 1 to {SEATS_MAX}", field="seats")
    driver = " ".join((driver or "").split())
    if len(driver) > PLACE_MAX:
        raise ValidationFailed(f"must be at most {PLACE_MAX} characters", field="driver")
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.PLANNED])
        number = convoy.vehicles.count() + 1
        vehicle = Vehicle.objects.create(
            convoy=convoy,
            number=number,
            kind=kind,
            plate=plate,
            seats=seats,
            driver=driver,
            spare=spare,
        )
        convoy_event_record(
            convoy,
            event="vehicle_added",
            actor=user,
            at=timezone.now(),
            vehicle=vehicle,
            seats=seats,
            spare=spare,
        )
    return vehicle


def escort_add(*, convoy: Convoy, user: User, organisation: str) -> Escort:
    """An organisation escorting a convoy that has not left (e.g. SARC, ICRC)."""
    require(user, Action.PLAN_DEPARTURES)
    organisation = text_clean(organisation, field="organisation")
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.PLANNED])
        if convoy.escorts.filter(organisation=organisation).exists():
            raise Conflict(f"{organisation} already escorts this convoy", field="organisation")
        escort = Escort.objects.create(convoy=convoy, organisation=organisation)
        convoy_event_record(
            convoy, event="escort_added", actor=user, at=timezone.now(), escort=escort.pk
        )
    return escort


def order_place(
    *,
    order: DepartureOrder,
    vehicle: Vehicle,
    user: User,
    split: Mapping[int, Vehicle] | None = None,
    split_reason: str = "",
) -> DepartureOrder:
    """Put everyone on the order on ``vehicle``: a family travels together. ``split`` puts
    some travellers (by id) on another vehicle of the convoy, only with a reason, and an
    alert says so. Refused, naming the field, for a person without a departure decision,
    a convoy going where the order does not, a vehicle without the seats."""
    require(user, Action.PLAN_DEPARTURES)
    split = dict(split or {})
    split_reason = reason_clean(split_reason, required=False)
    with transaction.atomic():
        convoy = convoy_locked(vehicle.convoy, states=[ConvoyState.PLANNED])
        order = _order_locked(order)
        departure_decision_check(order.case)
        _convoy_fits_order(convoy, order)
        travellers = list(order.travellers.filter(status=TravellerStatus.MANIFESTED))
        seating = _seating(travellers, vehicle=vehicle, split=split, convoy=convoy)
        if len({v.pk for v in seating.values()}) > 1 and not split_reason:
            raise ValidationFailed(
                "a family travels on one vehicle: say why it is split", field="split_reason"
            )
        _seats_check(order, seating, main=vehicle)
        for traveller in travellers:
            traveller.vehicle = seating[traveller.pk]
            traveller.save(update_fields=["vehicle"])
        order.convoy, order.split_reason = convoy, split_reason if split else ""
        order.save(update_fields=["convoy", "split_reason", "updated_at"])
        numbers = sorted({v.number for v in seating.values()})
        order_event_record(
            order,
            event="placed",
            actor=user,
            reason=split_reason,
            convoy=convoy.pk,
            vehicles=numbers,
        )
        if len(numbers) > 1:
            alert_raise(
                actor=user,
                kind="departure_family_split",
                details={"order": order.pk, "convoy": convoy.pk},
            )
    return order


def _convoy_fits_order(convoy: Convoy, order: DepartureOrder) -> None:
    if convoy.program_id != order.program_id:
        raise ValidationFailed("the convoy belongs to another program", field="convoy")
    if convoy.destination not in order.allowed_destinations:
        allowed = ", ".join(order.allowed_destinations)
        raise ValidationFailed(
            f"the convoy goes to {convoy.destination}, which this order does not allow "
            f"(permitted: {allowed})",
            field="destination",
        )
    if convoy.destination != order.destination:
        raise ValidationFailed(
            f"the convoy goes to {convoy.destination}; the order is for another destination: "
            "change the order first",
            field="destination",
        )
    if convoy.departs_from > order.window_closes_at:
        raise ValidationFailed("the convoy leaves after the order's window", field="convoy")


def _seating(
    travellers: Sequence[Traveller],
    *,
    vehicle: Vehicle,
    split: Mapping[int, Vehicle],
    convoy: Convoy,
) -> dict[int, Vehicle]:
    ids = {t.pk for t in travellers}
    for traveller_id, other in split.items():
        if traveller_id not in ids:
            raise ValidationFailed(
                "is not a traveller on this order", field=f"split[{traveller_id}]"
            )
        if other.convoy_id != convoy.pk:
            raise ValidationFailed("is a vehicle of another convoy", field=f"split[{traveller_id}]")
    if vehicle.convoy_id != convoy.pk:
        raise ValidationFailed("is a vehicle of another convoy", field="vehicle")
    return {t.pk: split.get(t.pk, vehicle) for t in travellers}


def _seats_check(order: DepartureOrder, seating: Mapping[int, Vehicle], *, main: Vehicle) -> None:
    needed: dict[int, int] = {}
    vehicles = {v.pk: v for v in seating.values()}
    for v in seating.values():
        needed[v.pk] = needed.get(v.pk, 0) + 1
    for vehicle_id, count in needed.items():
        vehicle = vehicles[vehicle_id]
        taken = (
            Traveller.objects.filter(vehicle=vehicle, status__in=SEATED)
            .exclude(order=order)
            .count()
        )
        if taken + count > vehicle.seats:
            field = "vehicle" if vehicle_id == main.pk else "split"
            raise ValidationFailed(
                f"vehicle {vehicle.number} has {vehicle.seats - taken} of its {vehicle.seats} "
                f"seats left; {count} are needed",
                field=field,
            )


def departures_erase_for_case(*, case_id: int) -> None:
    """Retention: blank what staff wrote about the case's departure orders (reasons, why a
    family was split) and the serials or tags of what its travellers carried; the orders,
    travellers and counts stay, so the convoy's reconciliation still adds up."""
    orders = DepartureOrder.objects.filter(case_id=case_id)
    OrderEvent.objects.filter(order__in=orders).update(reason="")
    CarriedItem.objects.filter(traveller__order__in=orders).update(tag="")
    orders.update(split_reason="")
