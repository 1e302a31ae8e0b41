"""Reading never makes a key or a tree head: every GET page and API endpoint, walked by
anonymous callers and by every role, leaves the database and the keys folder as they were
— on a fresh site with no signing keys, and on a site with a root, a published tree head,
a match candidate and an export request.

The rows a read does write are by design: attributed reads of personal data in the audit
trail (DESIGN.md §8), and the count of case reads behind the bulk-read limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from sulh.api.api import api
from sulh.cases.exports import export_request
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.keys.keyring import KeysMissing
from sulh.keys.models import SigningKey
from sulh.keys.services import root_online_create
from sulh.ledger.models import TreeHead
from sulh.ledger.services import tree_head_sign
from sulh.matching.models import MatchCandidate
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = "2016-08-10T09:00:00+03:00"
AT = dt.datetime.fromisoformat(WHEN)  # the server's clock at registration
# Rows a read writes on purpose: the attributed-read audit trail, each account's count of
# case reads (the bulk-read limit, F10), the sessions of the callers
# signed in for the walk, and the per-address counts of public proof requests (keyed hashes).
WRITTEN_BY_DESIGN = {
    "audit.AuditEntry",
    "audit.AuditHead",
    "accounts.CaseReadWindow",
    "accounts.Throttle",
    "accounts.StaffSession",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("api/", "admin/")):  # the API is walked from its schema
                continue
            found.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            found.append("/" + route)
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), path)
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def _get_paths(values: dict[str, str]) -> list[str]:
    pages = [_fill(p, values) for p in _patterns(get_resolver())]
    schema = api.get_openapi_schema()
    endpoints = [
        _fill(path, values) for path, methods in schema["paths"].items() if "get" in methods
    ]
    assert endpoints and all(path.startswith("/api/") for path in endpoints)
    proofs = ["/api/ledger/proof/inclusion?index=0&size=1", "/api/ledger/proof/consistency?old=1"]
    return sorted({*pages, *endpoints, *proofs, "/admin/"})


def _contents() -> dict[str, str]:
    """Every table's rows, hashed: a changed value shows as well as a new row."""
    found = {}
    for model in apps.get_models():
        if model._meta.label in WRITTEN_BY_DESIGN:
            continue
        rows = sorted(map(repr, model._default_manager.values_list()))
        found[model._meta.label] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return found


def _key_files() -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in Path(settings.SULH_KEYS_DIR).rglob("*") if p.is_file()}


def _walk(personas: dict[str, Any], values: dict[str, str]) -> dict[str, int]:
    clients = {"anonymous": Client()}
    for name, user in personas.items():
        clients[name] = Client()
        clients[name].force_login(user)
    before, files = _contents(), _key_files()
    answers: dict[str, int] = {}
    for path in _get_paths(values):
        for name, client in clients.items():
            answers[f"{name} {path}"] = client.get(path).status_code
    assert _contents() == before
    assert _key_files() == files
    return answers


def _register(personas: dict[str, Any], **person: str) -> Any:
    payload = make_intake(PROGRAM, submitted_at=WHEN, person=person or None)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=AT).case


def test_it_walks_every_get_endpoint_of_a_fresh_site_without_making_a_key_or_a_row(
    personas, programs
):
    serial = _register(personas).intake.serial
    answers = _walk(personas, {"serial": serial, "code": PROGRAM, "card_id": "00" * 16})
    assert len({a.split(" ", 1)[1] for a in answers}) > 40  # staff pages and the whole API
    assert answers["anonymous /api/cards/trust-list.json"] == 503  # no root: named, not made
    assert answers["anonymous /api/ledger/tree-head"] == 404  # nothing published yet
    assert answers["manager /api/programs"] == 200
    assert SigningKey.objects.count() == 0 and TreeHead.objects.count() == 0


def test_it_walks_every_get_endpoint_of_a_working_site_without_changing_anything(
    personas, programs
):
    first = _register(personas)
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    again = {**payload, "idempotency_key": payload["idempotency_key"] + "-again"}
    intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=AT)
    intake_register(data=parse(IntakeIn, again), clerk=personas["clerk2"], now=AT)
    candidate = MatchCandidate.objects.order_by("pk").first()
    assert candidate is not None  # the same person twice: a duplicate to review
    root_online_create()
    tree_head_sign()
    export = export_request(
        user=personas["manager"], program_code=PROGRAM, purpose="court order 17/2016"
    )
    values = {
        "serial": candidate.case.intake.serial if candidate.case else first.intake.serial,
        "code": PROGRAM,
        "program": PROGRAM,
        "card_id": "00" * 16,
        "candidate_id": str(candidate.pk),
        "export_id": str(export.pk),
        "id": str(export.pk),
    }
    answers = _walk(personas, values)
    assert answers["anonymous /api/cards/trust-list.json"] == 200
    assert answers["anonymous /api/cards/status.json"] == 200
    assert answers["anonymous /api/ledger/tree-head"] == 200
    assert TreeHead.objects.count() == 1 and SigningKey.objects.count() == 2


def test_a_production_site_without_a_root_names_the_command_and_makes_nothing(
    personas, programs, settings
):
    """The attack: anonymous reads of a production site with no root used to make an online
    root and publication key. Now each read walks by, the trust list answers 503 naming
    the root ceremony, and a write that needs a key is refused the same way."""
    settings.SULH_PRODUCTION = True
    serial = _register(personas).intake.serial
    answers = _walk(personas, {"serial": serial, "code": PROGRAM, "card_id": "00" * 16})
    assert answers["anonymous /api/cards/trust-list.json"] == 503
    response = Client().get("/api/cards/trust-list.json")
    assert "sulh card root-init" in response.content.decode()
    assert Client().get("/api/cards/status.json").status_code == 503
    with pytest.raises(KeysMissing, match="sulh card root-init"):
        tree_head_sign()
    assert SigningKey.objects.count() == 0 and TreeHead.objects.count() == 0
