"""Staff pages for departures (issue 19): orders to place, the convoy builder, the boarding
screen at the vehicle door, the convoy's status board and the arrival screen.

Thin like the other staff pages: each asks the policy through the departures selectors
(``convoy_get_for_user``, ``order_get_for_user``, which ``require`` the action), writes
through the services (which ask again and keep every rule), and shows a refusal next to
the box of the field the service named, with the page's status (4xx), having changed
nothing. No page lists a traveller by name: travellers are shown by key, with the few
facts a checkpoint shows (relation, sex, birth year, child or not), one at a time.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from sulh.accounts.models import User
from sulh.accounts.policy import Action, allows, require
from sulh.accounts.selectors import request_user as _user
from sulh.cards import services as card_services
from sulh.cards.models import Card
from sulh.cards.status import StatusListError, status_list_load
from sulh.cards.trust import TrustListError, trust_list_load
from sulh.cards.verify import Verdict, verify_card
from sulh.cases import selectors as case_selectors
from sulh.core.errors import NotFound, SulhError, ValidationFailed
from sulh.departures import movement, protection, services
from sulh.departures import selectors as departure_selectors
from sulh.departures.models import (
    Convoy,
    ConvoyState,
    IncidentKind,
    Traveller,
    TravellerEvent,
    TravellerStatus,
    VehicleKind,
)
from sulh.departures.rules import ITEM_KINDS
from sulh.keys.signing import unb64u
from sulh.programs.services import program_get_definition, programs_all
from sulh.web.forms import western_digits
from sulh.web.labels import program_text
from sulh.web.templatetags.sulh_labels import code_label
from sulh.web.verify_views import pinned_root

FLASH = "departures_flash"
LISTED = 100  # rows a list shows (the oldest first: the ones to act on)

# What a refused field is called on these pages, to name it beside (or above) its box.
FIELD_LABELS = {
    "case": gettext_lazy("Case"),
    "order": gettext_lazy("Departure order"),
    "program": gettext_lazy("Program"),
    "destination": gettext_lazy("Destination"),
    "family_members": gettext_lazy("Family members who travel"),
    "departs_from": gettext_lazy("Leaves from"),
    "departs_until": gettext_lazy("Leaves by"),
    "assembly_point": gettext_lazy("Assembly point"),
    "crossing": gettext_lazy("Crossing"),
    "escort": gettext_lazy("Escort"),
    "organisation": gettext_lazy("Escort"),
    "kind": gettext_lazy("Kind"),
    "plate": gettext_lazy("Plate or number"),
    "seats": gettext_lazy("Seats"),
    "driver": gettext_lazy("Driver"),
    "vehicle": gettext_lazy("Vehicle"),
    "split": gettext_lazy("Travellers on another vehicle"),
    "split_reason": gettext_lazy("Why the family is split"),
    "convoy": gettext_lazy("Convoy"),
    "traveller": gettext_lazy("Traveller"),
    "code": gettext_lazy("Traveller key or card code"),
    "items": gettext_lazy("Carried items"),
    "at": gettext_lazy("Time"),
    "device_event_id": gettext_lazy("Scan"),
    "count": gettext_lazy("Persons"),
    "travellers": gettext_lazy("Travellers named"),
    "note": gettext_lazy("Note"),
    "duration_minutes": gettext_lazy("Duration (minutes)"),
}


# Services' fixed messages these pages say in their own language (the API says them as
# they are); a message with figures in it is shown as the service wrote it.
SERVICE_MESSAGES = (
    gettext_noop("a family travels on one vehicle: say why it is split"),
    gettext_noop("this traveller has already boarded"),
    gettext_noop("this traveller never boarded"),
    gettext_noop("no such traveller on this convoy"),
    gettext_noop("type or scan the traveller's key"),
    gettext_noop("is not a traveller's key"),
    gettext_noop("a heavy weapon may not be carried: it is surrendered"),
    gettext_noop("this traveller belongs to another convoy"),
    gettext_noop("this traveller is placed on another vehicle"),
    gettext_noop("the convoy has not departed"),
    gettext_noop("must be a whole number"),
    gettext_noop("enter a date and time"),
    gettext_noop("this card's holder belongs to another convoy"),
    gettext_noop("no departure order for this card's holder on this convoy"),
    gettext_noop("this card was not issued here"),
)


def _now() -> dt.datetime:
    """When a step happens: the server's clock (a test sets it inside a seed program's
    historical window)."""
    return timezone.now()


def _box(field: str) -> str:
    """The box on the page a service's field names: ``items[person][0].heavy`` is the
    person's items box on an order, ``items[0].heavy`` the items declared at the door,
    ``family_members[2]`` the family box, ``split[17]`` the split."""
    found = re.fullmatch(r"items\[(\w+)\]\[\d+\](?:\.\w+)?", field)
    if found:
        return f"items-{found.group(1)}"
    found = re.fullmatch(r"(items|family_members|split|travellers|escorts)\[[^\]]*\].*", field)
    if found:
        return {"escorts": "escort"}.get(found.group(1), found.group(1))
    return field


def _refusal(exc: SulhError, boxes: set[str]) -> dict[str, Any]:
    """A service's refusal for the template: the message in the page's language where the
    catalogue has it, the field and its label, and whether the page has a box for it (else
    it is shown at the top, naming the field)."""
    field = (exc.field or "")[:80]
    box = _box(field)
    label = FIELD_LABELS.get(box.split("-")[0], field)
    return {
        "message": gettext(exc.message)[:400],
        "field": field,
        "box": box,
        "label": str(label),
        "top": box not in boxes,
        "status": exc.status,
    }


def _flash(request: HttpRequest) -> str:
    return str(request.session.pop(FLASH, "") or "")[:300]


def _done(request: HttpRequest, message: str, to: str, **kwargs: Any) -> HttpResponse:
    request.session[FLASH] = message[:300]
    return redirect(to, **kwargs)


def _destination_names(code: str) -> dict[str, str]:
    definition = program_get_definition(code=code)
    return {d.id: program_text(d.name) for d in definition.destinations}


def _convoy(request: HttpRequest, convoy_id: int, action: Action) -> Convoy:
    """The convoy, for a user whose role may take ``action`` (403) and who serves its
    program (404)."""
    user = _user(request)
    require(user, action)
    return departure_selectors.convoy_get_for_user(user=user, convoy_id=convoy_id, action=action)


def _number(value: str, *, field: str) -> int:
    text = western_digits(value or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed("must be a whole number", field=field)
    return int(text)


# --- Orders to place -----------------------------------------------------------------------


@login_required
def departures(request: HttpRequest) -> HttpResponse:
    """The evacuation coordinator's desk: cases with a departure decision awaiting an order,
    the orders not yet on a vehicle, and the convoys. Serials, counts and destinations: no
    name."""
    user = _user(request)
    require(user, Action.PLAN_DEPARTURES)
    orders = departure_selectors.orders_to_place(user=user)
    awaiting = departure_selectors.cases_awaiting_order(user=user)
    convoys = departure_selectors.convoys_for_user(user=user, action=Action.PLAN_DEPARTURES)
    names: dict[str, dict[str, str]] = {}
    rows = []
    for order in orders[:LISTED]:
        code = order.program.code
        names.setdefault(code, _destination_names(code))
        rows.append({"order": order, "destination": names[code].get(order.destination, "")})
    context = {
        "done": _flash(request),
        "orders": rows,
        "orders_count": orders.count(),
        "awaiting": awaiting[:LISTED],
        "awaiting_count": awaiting.count(),
        "convoys": convoys[:LISTED],
    }
    return render(request, "web/departures/orders.html", context)


def _order_form(
    request: HttpRequest,
    serial: str,
    *,
    post: QueryDict | None = None,
    error: SulhError | None = None,
) -> HttpResponse:
    user = _user(request)
    case = case_selectors.case_get_for_user(
        user=user, serial=serial, action=Action.PLAN_DEPARTURES, purpose="make a departure order"
    )
    definition = program_get_definition(code=case.program.code)
    names = {d.id: program_text(d.name) for d in definition.destinations}
    allowed = definition.destinations_for(case.intake.affiliation or None)
    fresh = post is None  # a new form: the whole family travels, untick who does not
    post = post or QueryDict()
    chosen = set(post.getlist("family_members"))
    travellers: list[dict[str, Any]] = [
        {
            "key": services.PERSON,
            "label": gettext("The person"),
            "relation": "",
            "member": None,
        }
    ] + [
        {
            "key": str(member.pk),
            "label": code_label("relation", member.relation),
            "member": member,
            "chosen": fresh or str(member.pk) in chosen,
        }
        for member in case.intake.family.order_by("pk")
    ]
    for row in travellers:
        key = row["key"]
        row["item_kind"] = post.get(f"items-{key}-kind", "")
        row["item_tag"] = post.get(f"items-{key}-tag", "")
        row["item_heavy"] = bool(post.get(f"items-{key}-heavy"))
    boxes = {"destination", "family_members", *(f"items-{row['key']}" for row in travellers)}
    context = {
        "case": case,
        "destinations": [(d, names.get(d, d)) for d in allowed],
        "destination": post.get("destination") or case.destination,
        "travellers": travellers,
        "item_kinds": [(k, code_label("carried", k)) for k in ITEM_KINDS],
        "allowance": definition.carry_allowance.weapons,
        "error": _refusal(error, boxes) if error else None,
    }
    return render(
        request,
        "web/departures/order_new.html",
        context,
        status=error.status if error else 200,
    )


def _items_from(post: QueryDict, keys: list[str]) -> dict[int | str, list[dict[str, Any]]]:
    """One item a traveller, as typed: keyed by "person" or the family member's id."""
    items: dict[int | str, list[dict[str, Any]]] = {}
    for key in keys:
        kind = post.get(f"items-{key}-kind", "")
        if not kind:
            continue
        typed: int | str = key if key == services.PERSON else int(key)
        items[typed] = [
            {
                "kind": kind,
                "tag": post.get(f"items-{key}-tag", ""),
                "heavy": bool(post.get(f"items-{key}-heavy")),
            }
        ]
    return items


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, serial: str) -> HttpResponse:
    """A departure order from a case's departure decision: who of the intake's family
    travels, where to (among the destinations allowed to this person), what each carries."""
    if request.method != "POST":
        return _order_form(request, serial)
    user = _user(request)
    post = request.POST
    try:
        case = case_selectors.case_get_for_user(
            user=user,
            serial=serial,
            action=Action.PLAN_DEPARTURES,
            purpose="make a departure order",
        )
        members = [
            _number(v, field=f"family_members[{i}]")
            for i, v in enumerate(post.getlist("family_members"))
        ]
        keys = [
            services.PERSON,
            *(str(pk) for pk in case.intake.family.values_list("pk", flat=True)),
        ]
        order = services.order_create(
            case=case,
            user=user,
            family_member_ids=members,
            destination=post.get("destination", ""),
            items=_items_from(post, keys),
        )
    except SulhError as exc:
        if exc.status == 403:
            raise
        return _order_form(request, serial, post=post, error=exc)
    message = gettext("Departure order %(order)s made for %(serial)s.") % {
        "order": order.pk,
        "serial": serial,
    }
    return _done(request, message, "web:departures")


# --- Convoys -------------------------------------------------------------------------------


def _departure_programs(user: User) -> list[dict[str, Any]]:
    """The programs with destinations to leave for: codes, titles and destinations."""
    rows = []
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        if definition.destinations:
            rows.append(
                {
                    "code": program.code,
                    "title": program_text(definition.title),
                    "destinations": [(d.id, program_text(d.name)) for d in definition.destinations],
                    "timezone": definition.timezone,
                }
            )
    return rows


def _local(value: str, *, zone: str, field: str) -> dt.datetime:
    """A ``datetime-local`` box's value, in the program's time zone."""
    try:
        naive = dt.datetime.fromisoformat(western_digits(value or "").strip())
    except ValueError:
        raise ValidationFailed("enter a date and time", field=field) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(zone))


CONVOY_BOXES = {
    "program",
    "destination",
    "departs_from",
    "departs_until",
    "assembly_point",
    "crossing",
    "escort",
}


@login_required
@require_http_methods(["GET", "POST"])
def convoy_new(request: HttpRequest) -> HttpResponse:
    """A convoy of a program to one of its destinations, within the program's window."""
    user = _user(request)
    require(user, Action.PLAN_DEPARTURES)
    programs = _departure_programs(user)
    post = request.POST if request.method == "POST" else QueryDict()
    error = None
    if request.method == "POST":
        code = post.get("program", "")
        zone = next((p["timezone"] for p in programs if p["code"] == code), "UTC")
        escort = post.get("escort", "").strip()
        try:
            convoy = services.convoy_create(
                user=user,
                program=code,
                destination=post.get("destination", ""),
                departs_from=_local(post.get("departs_from", ""), zone=zone, field="departs_from"),
                departs_until=_local(
                    post.get("departs_until", ""), zone=zone, field="departs_until"
                ),
                assembly_point=post.get("assembly_point", ""),
                crossing=post.get("crossing", ""),
                escorts=[escort] if escort else [],
            )
        except SulhError as exc:
            if exc.status == 403:
                raise
            error = _refusal(exc, CONVOY_BOXES)
        else:
            message = gettext("Convoy %(convoy)s made: add its vehicles.") % {"convoy": convoy.pk}
            return _done(request, message, "web:convoy_builder", convoy_id=convoy.pk)
    context = {"programs": programs, "values": post, "error": error}
    return render(
        request, "web/departures/convoy_new.html", context, status=error["status"] if error else 200
    )


BUILDER_BOXES = {"kind", "plate", "seats", "driver", "organisation"}


def _builder(
    request: HttpRequest,
    convoy: Convoy,
    *,
    error: SulhError | None = None,
    post: QueryDict | None = None,
    place_order: int | None = None,
) -> HttpResponse:
    """The convoy, its vehicles with their seats, its escorts, and the orders of its program
    and destination waiting for a vehicle, each with a form to place it."""
    user = _user(request)
    convoy = Convoy.objects.select_related("program").get(pk=convoy.pk)
    vehicles = list(departure_selectors.vehicles_with_seats(convoy))
    for v in vehicles:
        v.left = max(0, v.seats - v.taken)  # type: ignore[attr-defined]
    waiting = departure_selectors.orders_to_place(user=user).filter(program=convoy.program)
    orders = []
    for order in waiting[:LISTED]:
        travellers = list(order.travellers.exclude(status=TravellerStatus.WITHDRAWN).order_by("pk"))
        orders.append(
            {
                "order": order,
                "goes": order.destination == convoy.destination,
                "travellers": travellers,
                "children": sum(t.is_child for t in travellers),
            }
        )
    boxes = set(BUILDER_BOXES)
    if place_order is not None:
        boxes |= {"vehicle", "split", "split_reason", "destination"}
    context = {
        "convoy": convoy,
        "destination": _destination_names(convoy.program.code).get(
            convoy.destination, convoy.destination
        ),
        "escorts": list(convoy.escorts.order_by("pk")),
        "vehicles": vehicles,
        "seats": sum(v.seats for v in vehicles),
        "taken": sum(v.taken for v in vehicles),  # type: ignore[attr-defined]
        "kinds": [(k, code_label("vehicle", k)) for k in VehicleKind.values],
        "orders": orders,
        "planned": convoy.state == ConvoyState.PLANNED,
        "values": post or QueryDict(),
        "place_order": place_order,
        "done": "" if error else _flash(request),
        "error": _refusal(error, boxes) if error else None,
    }
    return render(
        request,
        "web/departures/convoy_builder.html",
        context,
        status=error.status if error else 200,
    )


@login_required
def convoy_builder(request: HttpRequest, convoy_id: int) -> HttpResponse:
    return _builder(request, _convoy(request, convoy_id, Action.PLAN_DEPARTURES))


def _builder_post(
    request: HttpRequest, convoy_id: int, step: Callable[[User, Convoy], str], **more: Any
) -> HttpResponse:
    """Run one builder step; back to the builder saying what was done, or the builder
    again with the refusal beside its box (nothing changed)."""
    user = _user(request)
    convoy = _convoy(request, convoy_id, Action.PLAN_DEPARTURES)
    try:
        message = step(user, convoy)
    except SulhError as exc:
        if exc.status == 403:
            raise
        return _builder(request, convoy, error=exc, post=request.POST, **more)
    return _done(request, message, "web:convoy_builder", convoy_id=convoy.pk)


@login_required
@require_POST
def vehicle_add(request: HttpRequest, convoy_id: int) -> HttpResponse:
    post = request.POST

    def step(user: User, convoy: Convoy) -> str:
        vehicle = services.vehicle_add(
            convoy=convoy,
            user=user,
            kind=post.get("kind", ""),
            plate=post.get("plate", ""),
            seats=_number(post.get("seats", ""), field="seats"),
            driver=post.get("driver", ""),
            spare=bool(post.get("spare")),
        )
        return gettext("Vehicle %(number)s added.") % {"number": vehicle.number}

    return _builder_post(request, convoy_id, step)


@login_required
@require_POST
def escort_add(request: HttpRequest, convoy_id: int) -> HttpResponse:
    def step(user: User, convoy: Convoy) -> str:
        escort = services.escort_add(
            convoy=convoy, user=user, organisation=request.POST.get("organisation", "")
        )
        return gettext("%(organisation)s escorts the convoy.") % {
            "organisation": escort.organisation
        }

    return _builder_post(request, convoy_id, step)


@login_required
@require_POST
def order_place(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """Put an order on a vehicle; travellers given another vehicle split the family, which
    the service refuses without a reason."""
    post = request.POST
    try:
        order_id = _number(post.get("order", ""), field="order")
    except SulhError:
        order_id = 0

    def step(user: User, convoy: Convoy) -> str:
        order = departure_selectors.order_get_for_user(
            user=user, order_id=order_id, action=Action.PLAN_DEPARTURES
        )
        vehicle = departure_selectors.vehicle_of(
            convoy, number=_number(post.get("vehicle", ""), field="vehicle")
        )
        split = {}
        for key in post:
            found = re.fullmatch(r"split-(\d+)", key)
            value = post.get(key, "")
            if found and value.strip():
                traveller_id = int(found.group(1))
                field = f"split[{traveller_id}]"
                number = _number(value, field=field)
                if number != vehicle.number:
                    split[traveller_id] = departure_selectors.vehicle_of(
                        convoy, number=number, field=field
                    )
        services.order_place(
            order=order,
            vehicle=vehicle,
            user=user,
            split=split,
            split_reason=post.get("split_reason", ""),
        )
        return gettext("Order %(order)s placed on vehicle %(number)s.") % {
            "order": order.pk,
            "number": vehicle.number,
        }

    return _builder_post(request, convoy_id, step, place_order=order_id)


# --- The status board ----------------------------------------------------------------------


@login_required
def convoys(request: HttpRequest) -> HttpResponse:
    """The convoys of the programs the user serves, with their state: the way to each
    board, builder, boarding and arrival screen the role may open."""
    user = _user(request)
    require(user, Action.SEE_CONVOY_COUNTS)
    listed = departure_selectors.convoys_for_user(user=user, action=Action.SEE_CONVOY_COUNTS)
    return render(request, "web/departures/convoys.html", {"convoys": listed[:LISTED]})


@login_required
def protection_cases(request: HttpRequest) -> HttpResponse:
    """The open protection cases of the convoys the user may see the counts of: keys and
    times, never a name (who they are is encrypted to the monitors)."""
    user = _user(request)
    require(user, Action.SEE_CONVOY_COUNTS)
    cases = protection.protection_cases_for_user(user=user)
    return render(request, "web/departures/protection_cases.html", {"cases": cases[:LISTED]})


BOARD_BOXES = {"kind", "vehicle", "count", "travellers", "note", "duration_minutes", "crossing"}


def _board(
    request: HttpRequest,
    convoy: Convoy,
    *,
    error: SulhError | None = None,
    post: QueryDict | None = None,
) -> HttpResponse:
    """Per vehicle and for the convoy: manifested = boarded + no-show + waiting and boarded
    = arrived + removed + returned + unaccounted, the gap (unaccounted) marked; the
    convoy's events and alerts (counts and keys, no note, no name)."""
    convoy = Convoy.objects.select_related("program").get(pk=convoy.pk)
    reconciled = departure_selectors.convoy_reconcile(convoy=convoy)
    vehicles = {v.number: v for v in departure_selectors.vehicles_with_seats(convoy)}
    events = convoy.events.select_related("vehicle").order_by("at", "pk")
    context = {
        "convoy": convoy,
        "destination": _destination_names(convoy.program.code).get(
            convoy.destination, convoy.destination
        ),
        "rows": [
            {"number": number, "vehicle": vehicles.get(number), "counts": counts}
            for number, counts in reconciled.vehicles.items()
        ],
        "total": reconciled.total,
        # before departure everyone aboard is still in sight: no gap yet
        "gap": reconciled.total.unaccounted if convoy.state != ConvoyState.PLANNED else 0,
        "not_accounted_for": reconciled.not_accounted_for,
        "departed": convoy.state != ConvoyState.PLANNED,
        "alerts": [
            {"kind": code_label("alert", a.kind), "code": a.kind, "at": a.at, "details": a.details}
            for a in departure_selectors.convoy_alerts(convoy=convoy)
        ],
        "events": [
            {"event": e.event, "label": code_label("convoy_event", e.event), "e": e} for e in events
        ],
        "incident_kinds": [(k, code_label("incident", k)) for k in IncidentKind.values],
        "numbers": list(vehicles),
        "values": post or QueryDict(),
        "done": "" if error else _flash(request),
        "error": _refusal(error, BOARD_BOXES) if error else None,
    }
    return render(
        request, "web/departures/board.html", context, status=error.status if error else 200
    )


@login_required
def convoy_board(request: HttpRequest, convoy_id: int) -> HttpResponse:
    return _board(request, _convoy(request, convoy_id, Action.SEE_CONVOY_COUNTS))


def _movement_post(
    request: HttpRequest, convoy_id: int, step: Callable[[User, Convoy], str]
) -> HttpResponse:
    user = _user(request)
    convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    try:
        message = step(user, convoy)
    except SulhError as exc:
        if exc.status == 403:
            raise
        return _board(request, convoy, error=exc, post=request.POST)
    return _done(request, message, "web:convoy_board", convoy_id=convoy.pk)


@login_required
@require_POST
def convoy_depart(request: HttpRequest, convoy_id: int) -> HttpResponse:
    def step(user: User, convoy: Convoy) -> str:
        event = movement.convoy_depart(
            convoy=convoy, user=user, at=_now(), crossing=request.POST.get("crossing", "")
        )
        return gettext("The convoy departed: %(boarded)s aboard, %(no_show)s did not come.") % {
            "boarded": event.details.get("boarded", 0),
            "no_show": event.details.get("no_show", 0),
        }

    return _movement_post(request, convoy_id, step)


@login_required
@require_POST
def convoy_arrive(request: HttpRequest, convoy_id: int) -> HttpResponse:
    def step(user: User, convoy: Convoy) -> str:
        movement.convoy_arrive(convoy=convoy, user=user, at=_now())
        return gettext("The convoy's arrival is recorded.")

    return _movement_post(request, convoy_id, step)


@login_required
@require_POST
def arrivals_close(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """The receiving side is done: each traveller still aboard opens a protection case."""

    def step(user: User, convoy: Convoy) -> str:
        opened = protection.arrivals_close(convoy=convoy, user=user, at=_now())
        return ngettext(
            "The arrivals are closed: %(n)s protection case opened.",
            "The arrivals are closed: %(n)s protection cases opened.",
            len(opened),
        ) % {"n": len(opened)}

    return _movement_post(request, convoy_id, step)


@login_required
@require_POST
def convoy_resume(request: HttpRequest, convoy_id: int) -> HttpResponse:
    def step(user: User, convoy: Convoy) -> str:
        protection.convoy_resume(convoy=convoy, user=user, at=_now())
        return gettext("The convoy moves again.")

    return _movement_post(request, convoy_id, step)


@login_required
@require_POST
def incident_record(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """Stopped, persons removed or returned, stranded, a vehicle lost: on the convoy."""
    post = request.POST

    def step(user: User, convoy: Convoy) -> str:
        number = post.get("vehicle", "").strip()
        vehicle = (
            departure_selectors.vehicle_of(convoy, number=_number(number, field="vehicle"))
            if number
            else None
        )
        keys = [k for k in re.split(r"[\s,،]+", western_digits(post.get("travellers", ""))) if k]
        travellers = [
            departure_selectors.traveller_of(
                convoy,
                traveller_id=_number(key, field=f"travellers[{i}]"),
                placed=True,
                field=f"travellers[{i}]",
            )
            for i, key in enumerate(keys)
        ]
        count = post.get("count", "").strip()
        duration = post.get("duration_minutes", "").strip()
        movement.incident_record(
            convoy=convoy,
            user=user,
            kind=post.get("kind", ""),
            at=_now(),
            vehicle=vehicle,
            count=_number(count, field="count") if count else 0,
            travellers=travellers,
            note=post.get("note", ""),
            duration_minutes=_number(duration, field="duration_minutes") if duration else None,
        )
        return gettext("Incident recorded: the monitor is alerted.")

    return _movement_post(request, convoy_id, step)


# --- At the vehicle door and on arrival ----------------------------------------------------


@login_required
def boarding_pick(request: HttpRequest) -> HttpResponse:
    """The boarding officer picks the convoy (still boarding) and the vehicle."""
    user = _user(request)
    require(user, Action.RECORD_BOARDING)
    listed = departure_selectors.convoys_for_user(user=user, action=Action.RECORD_BOARDING)
    rows = [
        {"convoy": c, "vehicles": list(c.vehicles.order_by("number"))}
        for c in listed.filter(state=ConvoyState.PLANNED)[:LISTED]
    ]
    arriving = listed.filter(state__in=[ConvoyState.DEPARTED, ConvoyState.ARRIVED])[:LISTED]
    return render(
        request, "web/departures/boarding_pick.html", {"rows": rows, "arriving": arriving}
    )


CARD_PREFIX = "SULH1:"


def _card_holder(convoy: Convoy, text: str) -> Traveller:
    """The holder of the card whose code was scanned or pasted, verified as a checkpoint's
    verifier verifies it (``sulh.cards.verify``: the signature against the trust list
    pinned to this site's root, the card's validity and the current status list); only a
    VALID card finds its holder's traveller on this convoy."""
    root = pinned_root()
    if not root:
        raise ValidationFailed("no root key: cards cannot be checked here", field="code")
    try:
        trusted = trust_list_load(card_services.trust_list_document(), root_public_key=unb64u(root))
        status = status_list_load(
            card_services.status_list_document(), public_key=trusted.status_signer
        )
    except (TrustListError, StatusListError) as exc:
        raise ValidationFailed(
            f"the lists to check cards were refused: {exc}", field="code"
        ) from exc
    result = verify_card(text, trusted=trusted, status=status)
    if result.verdict != Verdict.VALID:
        raise ValidationFailed(
            f"the card does not verify ({result.verdict.value}): {result.message}", field="code"
        )
    card = Card.objects.filter(card_id=result.card.get("card_id", "")).first()
    if card is None:
        raise NotFound("this card was not issued here", field="code")
    return departure_selectors.traveller_of_card_holder(convoy, case_id=card.case_id)


def _traveller_by_code(convoy: Convoy, code: str) -> Traveller:
    """The traveller the officer typed or scanned: the holder's card (its code, verified),
    or a traveller's key (digits, in either script)."""
    if (code or "").strip().upper().startswith(CARD_PREFIX):
        return _card_holder(convoy, code.strip())
    text = western_digits(code or "").strip()
    if not text:
        raise ValidationFailed("type or scan the traveller's key", field="code")
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed("is not a traveller's key", field="code")
    return departure_selectors.traveller_of(
        convoy, traveller_id=int(text), placed=True, field="code"
    )


def _shown(traveller: Traveller) -> dict[str, Any]:
    """What the door shows of one traveller, as a checkpoint shows it: their key, whether
    they hold the card or travel with its holder (relation, sex, birth year), child or not,
    their vehicle, what they declared, and the order's group by key and status. No name,
    no photo."""
    member = traveller.family_member
    group = traveller.order.travellers.exclude(status=TravellerStatus.WITHDRAWN).select_related(
        "vehicle"
    )
    return {
        "t": traveller,
        "principal": member is None,
        "relation": code_label("relation", member.relation) if member else "",
        "sex": code_label("sex", member.sex) if member else "",
        "birth_year": member.birth_year if member else "",
        "vehicle": traveller.vehicle.number if traveller.vehicle else None,
        "status": code_label("traveller", traveller.status),
        "items": [
            {"kind": code_label("carried", i.kind), "tag": i.tag, "heavy": i.heavy}
            for i in traveller.items.order_by("pk")
        ],
        "group": [
            {
                "key": t.pk,
                "child": t.is_child,
                "status": code_label("traveller", t.status),
                "vehicle": t.vehicle.number if t.vehicle else None,
            }
            for t in group.order_by("pk")
        ],
    }


DOOR_BOXES = {"code", "vehicle", "items", "traveller", "at", "convoy", "device_event_id"}


def _without_card(post: QueryDict | None) -> QueryDict:
    """What was typed, to show again, but never a card's code: it carries the holder's
    names (only the key found from it is shown)."""
    if post is None:
        return QueryDict()
    if post.get("code", "").strip().upper().startswith(CARD_PREFIX):
        post = post.copy()
        post["code"] = ""
    return post


def _door(
    request: HttpRequest,
    convoy: Convoy,
    *,
    template: str,
    traveller: Traveller | None = None,
    error: SulhError | None = None,
    post: QueryDict | None = None,
) -> HttpResponse:
    """The boarding or the arrival screen: the scan box, and once a traveller is found,
    what the door shows of them and the button that records the step, carrying an event id
    made for this page (a retried submit sends it again and is counted once)."""
    user = _user(request)
    convoy = Convoy.objects.select_related("program").get(pk=convoy.pk)
    vehicles = list(departure_selectors.vehicles_with_seats(convoy))
    chosen = (post or request.GET).get("vehicle", "")
    number = int(chosen) if chosen.isdigit() else (vehicles[0].number if vehicles else 0)
    vehicle = next((v for v in vehicles if v.number == number), None)
    reconciled = departure_selectors.convoy_reconcile(convoy=convoy)
    waiting = (
        list(
            Traveller.objects.filter(vehicle=vehicle, status=TravellerStatus.MANIFESTED)
            .order_by("pk")
            .values_list("pk", "is_child")
        )
        if vehicle is not None
        else []
    )
    context = {
        "convoy": convoy,
        "vehicles": vehicles,
        "vehicle": vehicle,
        "counts": reconciled.vehicles.get(number) if vehicle else None,
        "total": reconciled.total,
        "waiting": waiting,
        "found": _shown(traveller) if traveller is not None else None,
        "item_kinds": [(k, code_label("carried", k)) for k in ITEM_KINDS],
        "event_id": uuid.uuid4().hex,
        "values": _without_card(post),
        "may_board": allows(user, Action.RECORD_BOARDING),
        "done": "" if error else _flash(request),
        "error": _refusal(error, DOOR_BOXES) if error else None,
    }
    return render(request, template, context, status=error.status if error else 200)


def _scan_step(
    request: HttpRequest,
    convoy: Convoy,
    *,
    template: str,
    record: Callable[[Traveller, str], TravellerEvent],
    done: Callable[[Traveller, bool], str],
    to: str,
) -> HttpResponse:
    """A POST to a door screen: ``find`` shows the traveller; ``record`` records the step
    with the page's event id (the same id again: the event already recorded, said so)."""
    post = request.POST
    traveller = None
    try:
        traveller = _traveller_by_code(convoy, post.get("code", ""))
        if post.get("step") != "record":
            return _door(request, convoy, template=template, traveller=traveller, post=post)
        event_id = post.get("device_event_id", "").strip()
        replayed = (
            bool(event_id) and TravellerEvent.objects.filter(device_event_id=event_id).exists()
        )
        record(traveller, event_id)
    except SulhError as exc:
        if exc.status == 403:
            raise
        return _door(request, convoy, template=template, traveller=traveller, error=exc, post=post)
    request.session[FLASH] = done(traveller, replayed)[:300]
    number = post.get("vehicle", "")
    response = redirect(to, convoy_id=convoy.pk)
    if number.isdigit():
        response["Location"] += f"?vehicle={number}"
    return response


def _said(recorded: str, again: str) -> Callable[[Traveller, bool], str]:
    """What the door says after a scan: recorded now, or already recorded (a retry)."""

    def said(traveller: Traveller, replayed: bool) -> str:
        return (again if replayed else recorded) % {"key": traveller.pk}

    return said


def _door_items(post: QueryDict) -> list[dict[str, Any]] | None:
    """Items declared at the door, when the officer says they differ from the order's."""
    if post.get("items_as_declared", "yes") == "yes":
        return None
    kind = post.get("door-kind", "")
    if not kind:
        return []
    return [{"kind": kind, "tag": post.get("door-tag", ""), "heavy": bool(post.get("door-heavy"))}]


@login_required
@require_http_methods(["GET", "POST"])
def boarding(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """The vehicle door, on a phone: pick the vehicle, type or scan the traveller's key, see
    the few facts a checkpoint sees, confirm what they carry, record the boarding."""
    convoy = _convoy(request, convoy_id, Action.RECORD_BOARDING)
    template = "web/departures/boarding.html"
    if request.method != "POST":
        return _door(request, convoy, template=template)
    user = _user(request)
    post = request.POST

    def record(traveller: Traveller, event_id: str) -> TravellerEvent:
        vehicle = departure_selectors.vehicle_of(
            convoy, number=_number(post.get("vehicle", ""), field="vehicle")
        )
        return movement.boarding_record(
            traveller=traveller,
            vehicle=vehicle,
            user=user,
            at=_now(),
            device_event_id=event_id,
            items=_door_items(post),
        )

    done = _said(
        gettext("Traveller %(key)s boarded."),
        gettext("Traveller %(key)s: this boarding was already recorded (counted once)."),
    )
    return _scan_step(
        request, convoy, template=template, record=record, done=done, to="web:boarding"
    )


@login_required
@require_POST
def no_show(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """A traveller did not come to the vehicle: recorded with the page's event id."""
    user = _user(request)
    convoy = _convoy(request, convoy_id, Action.RECORD_BOARDING)
    post = request.POST
    traveller = None
    try:
        traveller = _traveller_by_code(convoy, post.get("code", ""))
        movement.no_show_record(
            traveller=traveller,
            user=user,
            at=_now(),
            device_event_id=post.get("device_event_id", ""),
        )
    except SulhError as exc:
        if exc.status == 403:
            raise
        return _door(request, convoy, template="web/departures/boarding.html", error=exc, post=post)
    request.session[FLASH] = gettext("Traveller %(key)s recorded as not come.") % {
        "key": traveller.pk
    }
    response = redirect("web:boarding", convoy_id=convoy.pk)
    number = post.get("vehicle", "")
    if number.isdigit():
        response["Location"] += f"?vehicle={number}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def arrivals(request: HttpRequest, convoy_id: int) -> HttpResponse:
    """The receiving side: type or scan each traveller's key as they arrive."""
    convoy = _convoy(request, convoy_id, Action.RECORD_BOARDING)
    template = "web/departures/arrivals.html"
    if request.method != "POST":
        return _door(request, convoy, template=template)
    user = _user(request)

    def record(traveller: Traveller, event_id: str) -> TravellerEvent:
        return movement.arrival_record(
            traveller=traveller, user=user, at=_now(), device_event_id=event_id
        )

    done = _said(
        gettext("Traveller %(key)s arrived."),
        gettext("Traveller %(key)s: this arrival was already recorded (counted once)."),
    )
    return _scan_step(
        request, convoy, template=template, record=record, done=done, to="web:arrivals"
    )
