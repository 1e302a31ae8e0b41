"""Every API endpoint and page, for every role, against the written matrix (docs/permissions.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from sulh.cases.intake import intake_register
from sulh.cases.services import decision_record
from sulh.core.validation import parse
from sulh.departures import services as departures
from sulh.keys.services import root_online_create
from sulh.ledger.services import tree_head_sign
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client
from tests.conftest import PASSWORD, make_intake
from tests.departures.conftest import SAFE_PASSAGE, family

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PROGRAM = "aleppo-2016-amnesty"
DEPARTING_AT = dt.datetime(2016, 12, 16, 8, 0, tzinfo=dt.UTC)  # in the safe passage's window
ROLES = [
    "clerk",
    "clerk2",
    "vetter",
    "decider",
    "card_officer",
    "coordinator",
    "checkpoint",
    "child_protection",
    "manager",
    "monitor",
    "admin",
]

# endpoint → expected status per persona (anything not listed: the default in the key)
MATRIX: dict[str, dict[str, int]] = {
    "GET /api/programs": {"*": 200},
    "POST /api/intakes": {"*": 403, "clerk": 201, "clerk2": 201},
    "GET /api/cases/{serial}": {
        "*": 404,
        "clerk": 200,
        "vetter": 200,
        "decider": 200,
        "card_officer": 200,
        "coordinator": 200,
    },
    "GET /api/cases/{serial}/events": {
        "*": 404,
        "clerk": 200,
        "vetter": 200,
        "decider": 200,
        "card_officer": 200,
        "coordinator": 200,
    },
    "GET /api/cases/{serial}/candidates": {
        "*": 403,
        "vetter": 200,
        "decider": 200,
        "child_protection": 404,
    },
    "POST /api/cases/{serial}/decisions": {
        "*": 404,
        "clerk": 403,
        "vetter": 403,
        "decider": 201,
        "card_officer": 403,
        "coordinator": 403,
    },
    "POST /api/cases/{serial}/cards": {
        "*": 404,
        "clerk": 403,
        "vetter": 403,
        "decider": 403,
        "card_officer": 409,
        "coordinator": 403,
    },
    "GET /api/bulletins/{program}": {"*": 403, "manager": 200, "monitor": 200, "admin": 200},
    # a monitor's attestation must be signed by an enrolled monitor: this one names none
    "POST /api/bulletins/{program}/attestations": {"*": 403, "monitor": 422},
    "GET /api/programs/{program}": {"*": 200},
    # clerks, vetters and deciders record appeals, but only of a confirmed adverse decision
    # or revocation: the decider's amnesty above is not one (see tests/cases/test_rules.py)
    "POST /api/cases/{serial}/appeal": {
        "*": 404,
        "clerk": 409,
        "vetter": 409,
        "decider": 409,
        "card_officer": 403,
        "coordinator": 403,
    },
    "POST /api/programs/{program}/card-extensions": {"*": 403, "manager": 201},
    "POST /api/programs/{program}/corridor-tallies": {"*": 403, "coordinator": 201, "manager": 201},
    "POST /api/exports": {"*": 403, "manager": 201, "admin": 201},
    "GET /api/ledger/tree-head": {"*": 200},
    # departures, in the order a convoy goes (each persona's calls run in this order)
    "POST /api/cases/{serial}/departure-orders": {
        "*": 404,
        "clerk": 403,
        "vetter": 403,
        "decider": 403,
        "card_officer": 403,
        "coordinator": 422,  # the case has no departure decision
    },
    "GET /api/departure-orders/{order_id}": {"*": 403, "coordinator": 200},
    "POST /api/departure-orders/{order_id}/change": {"*": 403, "coordinator": 200},
    "POST /api/departure-orders/{order_id}/cancel": {
        "*": 403,
        "coordinator": 422,
    },  # no reason given
    "POST /api/convoys": {"*": 403, "coordinator": 201},
    "GET /api/convoys/{convoy_id}": {"*": 403, "coordinator": 200, "manager": 200, "monitor": 200},
    "POST /api/convoys/{convoy_id}/vehicles": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/escorts": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/placements": {"*": 403, "coordinator": 200},
    "POST /api/convoys/{convoy_id}/boardings": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/no-shows": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/departure": {"*": 403, "coordinator": 200},
    "POST /api/convoys/{convoy_id}/incidents": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/arrival": {"*": 403, "coordinator": 200},
    "POST /api/convoys/{convoy_id}/arrivals": {"*": 403, "coordinator": 201},
    "POST /api/convoys/{convoy_id}/arrivals-close": {"*": 403, "coordinator": 200},
    # allowed, then refused: by now the convoy has arrived, it is not stranded
    "POST /api/convoys/{convoy_id}/resume": {"*": 403, "coordinator": 409},
    "GET /api/protection-cases": {"*": 403, "coordinator": 200, "manager": 200, "monitor": 200},
    "GET /api/convoys/{convoy_id}/reconciliation": {
        "*": 403,
        "coordinator": 200,
        "manager": 200,
        "monitor": 200,
    },
    "GET /api/convoys/{convoy_id}/alerts": {
        "*": 403,
        "coordinator": 200,
        "manager": 200,
        "monitor": 200,
    },
    "PAGE /": {"*": 200},
    "PAGE /intake/": {"*": 403, "clerk": 200, "clerk2": 200},
    "PAGE /queue/": {"*": 403, "vetter": 200, "decider": 200, "child_protection": 200},
    "PAGE /dashboard/": {"*": 403, "manager": 200, "monitor": 200, "admin": 200},
    "PAGE /search/": {
        "*": 403,
        "clerk": 200,
        "clerk2": 200,
        "vetter": 200,
        "decider": 200,
        "card_officer": 200,
        "coordinator": 200,
        "child_protection": 200,
    },
    "PAGE /verify/": {"*": 200},
    "PAGE /departures/": {"*": 403, "coordinator": 200},
    "PAGE /convoys/new/": {"*": 403, "coordinator": 200},
    "PAGE /boarding/": {"*": 403, "coordinator": 200},
    "PAGE /convoys/": {"*": 403, "coordinator": 200, "manager": 200, "monitor": 200},
    "PAGE /cases/{serial}/": {
        "*": 404,
        "clerk": 200,
        "vetter": 200,
        "decider": 200,
        "card_officer": 200,
        "coordinator": 200,
    },
}


def _expected(endpoint: str, persona: str) -> int:
    row = MATRIX[endpoint]
    return row.get(persona, row["*"])


def _departure(personas: dict[str, Any]) -> dict[str, int]:
    """A departure order (the person and the spouse) placed on a convoy's only vehicle."""
    when = DEPARTING_AT
    payload = make_intake(
        SAFE_PASSAGE,
        submitted_at=when,
        affiliation="ahrar-al-sham",
        family=family(("spouse", "female", 1985)),
        items=[],
    )
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when).case
    decision_record(
        case=case,
        user=personas["decider"],
        outcome="departure",
        reason="",
        destination="western-rural-aleppo",
    )
    coordinator = personas["coordinator"]
    order = departures.order_create(
        case=case, user=coordinator, family_member_ids=[m.pk for m in case.intake.family.all()]
    )
    convoy = departures.convoy_create(user=coordinator, **_convoy_body())
    vehicle = departures.vehicle_add(
        convoy=convoy, user=coordinator, kind="bus", plate="B-1", seats=9
    )
    departures.order_place(order=order, vehicle=vehicle, user=coordinator)
    person, spouse = order.travellers.order_by("pk").values_list("pk", flat=True)
    return {"order_id": order.pk, "convoy_id": convoy.pk, "person": person, "spouse": spouse}


def _convoy_body() -> dict[str, Any]:
    return {
        "program": SAFE_PASSAGE,
        "destination": "western-rural-aleppo",
        "departs_from": DEPARTING_AT + dt.timedelta(hours=2),
        "departs_until": DEPARTING_AT + dt.timedelta(hours=6),
        "assembly_point": "Ramouseh roundabout",
        "crossing": "Ramouseh road",
    }


def _departure_bodies(keys: dict[str, int]) -> dict[str, dict[str, Any]]:
    def at(hours: int) -> str:
        return (DEPARTING_AT + dt.timedelta(hours=hours)).isoformat()

    def scan(traveller: str, event_id: str, hours: int = 3) -> dict[str, Any]:
        return {"traveller": keys[traveller], "at": at(hours), "device_event_id": event_id}

    order, convoy = f"/api/departure-orders/{keys['order_id']}", f"/api/convoys/{keys['convoy_id']}"
    return {
        f"{order}/change": {"reason": "declared", "items": {"person": [{"kind": "belongings"}]}},
        f"{order}/cancel": {"reason": ""},
        "/api/convoys": {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in _convoy_body().items()
        },
        f"{convoy}/vehicles": {"kind": "ambulance", "plate": "A-1", "seats": 4},
        f"{convoy}/escorts": {"organisation": "ICRC"},
        f"{convoy}/placements": {"order": keys["order_id"], "vehicle": 1},
        f"{convoy}/boardings": scan("person", "door-1") | {"vehicle": 1},
        f"{convoy}/no-shows": scan("spouse", "door-2"),
        f"{convoy}/departure": {"at": at(3)},
        f"{convoy}/incidents": {"kind": "stopped", "at": at(4), "vehicle": 1},
        f"{convoy}/arrival": {"at": at(6)},
        f"{convoy}/arrivals": scan("person", "gate-1", hours=6),
        f"{convoy}/arrivals-close": {"at": at(7)},
        f"{convoy}/resume": {"at": at(7)},
    }


def _call(
    personas: dict[str, Any],
    persona: str,
    endpoint: str,
    serial: str,
    keys: dict[str, int] | None = None,
) -> int:
    method, path = endpoint.split(" ", 1)
    keys = keys or {"order_id": 0, "convoy_id": 0, "person": 0, "spouse": 0}
    path = path.format(
        serial=serial, program=PROGRAM, order_id=keys["order_id"], convoy_id=keys["convoy_id"]
    )
    user = personas[persona]
    if method == "PAGE":
        client = Client()
        client.login(username=user.username, password=PASSWORD)
        return client.get(path).status_code
    client = api_client(user)
    if method == "GET":
        return client.get(path).status_code
    bodies = {
        "/api/intakes": make_intake(PROGRAM, submitted_at=WHEN.isoformat()),
        f"/api/cases/{serial}/decisions": {"outcome": "amnesty", "reason": ""},
        f"/api/cases/{serial}/cards": {"reason": ""},
        f"/api/cases/{serial}/appeal": {"reason": "new evidence"},
        f"/api/programs/{PROGRAM}/card-extensions": {
            "valid_until": (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat(),
            "reason": "deadline extended",
        },
        f"/api/programs/{PROGRAM}/corridor-tallies": {
            "point": personas["clerk"].station.code,
            "day": "2016-08-10",
            "count": 40,
        },
        "/api/exports": {"program": PROGRAM, "purpose": "court order 17/2016"},
        f"/api/bulletins/{PROGRAM}/attestations": {"program": PROGRAM, "monitor": "nobody"},
        f"/api/cases/{serial}/departure-orders": {},
        **_departure_bodies(keys),
    }
    return client.post(
        path, data=json.dumps(bodies[path]), content_type="application/json"
    ).status_code


@pytest.mark.parametrize("persona", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(personas, programs, persona, server_clock):
    server_clock(WHEN)  # the seed program's window, for POST /api/intakes
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    tree_head_sign()  # a published head: what the tree-head endpoint serves
    keys = _departure(personas)
    answers = {
        endpoint: _call(personas, persona, endpoint, case.intake.serial, keys)
        for endpoint in MATRIX
    }
    assert answers == {endpoint: _expected(endpoint, persona) for endpoint in MATRIX}


def test_anonymous_callers_get_nothing_but_the_public_lists(db, programs):
    client = Client()
    for path in ("/api/programs", "/api/cases/X-1", f"/api/bulletins/{PROGRAM}"):
        assert client.get(path).status_code == 401
    assert client.get("/").status_code == 302
    assert client.get("/api/cards/trust-list.json").status_code == 503  # no root yet
    root_online_create()
    assert client.get("/api/cards/trust-list.json").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_childs_case_is_seen_only_by_child_protection(personas, programs):
    payload = make_intake(PROGRAM, submitted_at=WHEN, person={"birth_date": "2002-03-03"})
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    assert case.is_child
    seen = {p: _call(personas, p, "GET /api/cases/{serial}", case.intake.serial) for p in ROLES}
    assert {p for p, status in seen.items() if status == 200} == {"child_protection"}


# Endpoints whose roles are checked in their own tests (they need a decision, a card, a
# candidate or an export to exist first); public ones need no role at all.
ELSEWHERE = {
    "POST /api/decisions/{decision_id}/confirm": "tests/cases/test_decisions.py",
    "POST /api/decisions/{decision_id}/reject": "tests/cases/test_decisions.py",
    "POST /api/cases/{serial}/revoke-eligibility": "tests/api/test_cases_revoke_eligibility.py",
    "POST /api/cases/{serial}/revoke-eligibility/{answer}": (
        "tests/api/test_cases_revoke_eligibility.py"
    ),
    "POST /api/cards/{card_id}/reinstatement": "tests/cards/test_rules.py",
    "POST /api/cards/{card_id}/reinstatement/{answer}": "tests/cards/test_rules.py",
    "POST /api/candidates/{candidate_id}/resolve": "tests/matching/test_online.py",
    "POST /api/cards/{card_id}/state": "tests/cards/test_issue.py",
    "POST /api/cards/{card_id}/renew": "tests/cards/test_issue.py",
    "GET /api/cards/{card_id}/card.pdf": "tests/cards/test_issue.py",
    "POST /api/exports/{request_id}/approve": "tests/trust/test_minimisation.py",
    "GET /api/exports/{request_id}/people.csv": "tests/trust/test_minimisation.py",
    "GET /api/ledger/proof/inclusion": "public (tests/ledger/test_bulletins.py)",
    "GET /api/ledger/proof/consistency": "public (tests/ledger/test_bulletins.py)",
    "GET /api/cards/trust-list.json": "public",
    "GET /api/cards/status.json": "public",
    "POST /api/step-up": "tests/trust/test_api_tokens.py (officers who need a second factor)",
}


def test_every_api_endpoint_is_in_the_matrix_or_named_elsewhere():
    from sulh.api.api import api

    names = {"code": "program", "serial": "serial"}
    listed = set()
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            for old, new in names.items():
                path = path.replace("{" + old + "}", "{" + new + "}")
            listed.add(f"{method.upper()} {path}")
    covered = {e for e in MATRIX if not e.startswith("PAGE")} | set(ELSEWHERE)
    assert listed - covered == set(), "add these endpoints to MATRIX and docs/permissions.md"
