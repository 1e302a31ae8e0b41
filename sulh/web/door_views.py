"""The offline vehicle door (issue 19, item 4): a phone page that boards with no network.

``/door/{convoy}/{vehicle}/`` is the page; ``static/web/door.js`` verifies the holder's
card in the browser (``verify.js``, against the trust and status lists it keeps), finds
the traveller in the vehicle's door pack, checks what they carry against the program's
allowance, and queues ``boarded`` and ``no_show`` events on the device, each with its own
``device_event_id``; it sends the queue to the API (``/api/convoys/{id}/boardings`` and
``/no-shows``) whenever the site answers, and the server counts a retried event once.
``/door/sw.js`` is the verifier's service worker served under ``/door/`` so that the page
itself opens with no network.

The door pack (``/door/{convoy}/{vehicle}/pack.json``) is the least a door needs, for one
vehicle only: each placed traveller's key, their order's key, card holder or the
relation, sex and birth year (as a checkpoint shows them), child or not, status, their
vehicle, the kinds of what they declared (never a serial or tag), and for each holder the
ids of their cards (random numbers, which the signed card carries too). No name, no
photo, no destination, no case serial: the card itself carries the holder's names, and
the page does not show them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from sulh.accounts.policy import Action, require
from sulh.cards.models import Card
from sulh.departures import selectors as departure_selectors
from sulh.departures.models import Convoy, Traveller, TravellerStatus
from sulh.departures.rules import ITEM_KINDS
from sulh.programs.services import program_get_definition
from sulh.web import departure_views
from sulh.web.templatetags.sulh_labels import code_label
from sulh.web.verify_views import CONTENT_SECURITY_POLICY, pinned_root, service_worker_response

PACK_FORMAT = "sulh-door-pack/1"


def _door_convoy(request: HttpRequest, convoy_id: int) -> Convoy:
    require(request.user, Action.RECORD_BOARDING)  # type: ignore[arg-type]  # login_required
    convoy = departure_views._convoy(request, convoy_id, Action.RECORD_BOARDING)
    return Convoy.objects.select_related("program").get(pk=convoy.pk)


def _door_messages() -> dict[str, str]:
    """The relation, sex, status and item words the page shows, in the request's language."""
    words: dict[str, str] = {}
    for kind in ITEM_KINDS:
        words[f"carried:{kind}"] = str(code_label("carried", kind))
    for status in TravellerStatus.values:
        words[f"traveller:{status}"] = str(code_label("traveller", status))
    return words


@login_required
@require_safe
def door(request: HttpRequest, convoy_id: int, number: int) -> HttpResponse:
    convoy = _door_convoy(request, convoy_id)
    vehicle = departure_selectors.vehicle_of(convoy, number=number)
    response = render(
        request,
        "web/departures/door.html",
        {
            "convoy": convoy,
            "vehicle": vehicle,
            "root_public_key": pinned_root(),
            "door_words": _door_messages(),
            "item_kinds": [(k, code_label("carried", k)) for k in ITEM_KINDS],
        },
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    return response


def _traveller_row(t: Traveller) -> dict[str, Any]:
    member = t.family_member
    return {
        "key": t.pk,
        "order": t.order_id,
        "principal": member is None,
        "relation": str(code_label("relation", member.relation)) if member else "",
        "sex": str(code_label("sex", member.sex)) if member else "",
        "birth_year": member.birth_year if member else None,
        "child": t.is_child,
        "status": t.status,
        "vehicle": t.vehicle.number if t.vehicle else None,
        "items": [{"kind": i.kind, "heavy": i.heavy} for i in t.items.order_by("pk")],
    }


def door_pack(convoy: Convoy, number: int) -> dict[str, Any]:
    """What the device keeps for one vehicle (see the module's docstring)."""
    vehicle = departure_selectors.vehicle_of(convoy, number=number)
    aboard = list(
        Traveller.objects.filter(vehicle=vehicle)
        .exclude(status=TravellerStatus.WITHDRAWN)
        .select_related("family_member", "vehicle", "order")
        .prefetch_related("items")
        .order_by("pk")
    )
    orders = {t.order_id for t in aboard}
    # the group: everyone on the same orders, whichever vehicle they are on
    group = list(
        Traveller.objects.filter(order_id__in=orders)
        .exclude(status=TravellerStatus.WITHDRAWN)
        .exclude(vehicle=vehicle)
        .select_related("family_member", "vehicle")
        .prefetch_related("items")
        .order_by("pk")
    )
    holders = {t.order.case_id: t.pk for t in aboard if t.family_member_id is None}
    cards = {
        card_id: holders[case_id]
        for card_id, case_id in Card.objects.filter(case_id__in=holders).values_list(
            "card_id", "case_id"
        )
    }
    definition = program_get_definition(code=convoy.program.code)
    return {
        "format": PACK_FORMAT,
        "convoy": convoy.pk,
        "vehicle": vehicle.number,
        "seats": vehicle.seats,
        "state": convoy.state,
        "program": convoy.program.code,
        "weapons": definition.carry_allowance.weapons,
        "server_now": departure_views._now().isoformat(),
        "travellers": [_traveller_row(t) for t in aboard],
        "elsewhere": [_traveller_row(t) for t in group],
        "cards": cards,
    }


@login_required
@require_safe
def door_pack_view(request: HttpRequest, convoy_id: int, number: int) -> HttpResponse:
    convoy = _door_convoy(request, convoy_id)
    response = JsonResponse(door_pack(convoy, number))
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def door_service_worker(request: HttpRequest) -> HttpResponse:
    """The verifier's service worker, from under /door/ so that its scope covers the doors."""
    return service_worker_response()
