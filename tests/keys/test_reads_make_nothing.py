"""Reading never makes a key or a tree head: every GET endpoint, walked on a fresh site by
anonymous callers and by every role, leaves the database and the keys folder as it was.

The one kind of row a read does write is by design: attributed reads of personal data in
the audit trail (DESIGN.md §8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from sulh.api.api import api
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.keys.models import SigningKey
from sulh.ledger.models import TreeHead
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
# Rows a read writes on purpose: the attributed-read audit trail and the sessions of the
# callers signed in for the walk.
WRITTEN_BY_DESIGN = {"audit.AuditEntry", "audit.AuditHead", "sessions.Session"}


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


def _fill(path: str, *, serial: str) -> str:
    values = {"serial": serial, "code": PROGRAM, "card_id": "00" * 16, "program": PROGRAM}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x"), path)
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)


def _get_paths(serial: str) -> list[str]:
    pages = [_fill(p, serial=serial) for p in _patterns(get_resolver())]
    schema = api.get_openapi_schema()
    endpoints = [
        "/api" + _fill(path, serial=serial)
        for path, methods in schema["paths"].items()
        if "get" in methods
    ]
    proofs = ["/api/ledger/proof/inclusion?index=0&size=1", "/api/ledger/proof/consistency?old=1"]
    return sorted({*pages, *endpoints, *proofs, "/admin/"})


def _snapshot() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in WRITTEN_BY_DESIGN
    }


def _key_files() -> set[Path]:
    return {p for p in Path(settings.SULH_KEYS_DIR).rglob("*") if p.is_file()}


def test_it_walks_every_get_endpoint_without_making_a_key_or_a_row(personas, programs):
    payload = make_intake(PROGRAM, submitted_at="2016-08-10T09:00:00+03:00")
    serial = intake_register(
        data=parse(IntakeIn, payload), clerk=personas["clerk"]
    ).case.intake.serial
    before, files = _snapshot(), _key_files()
    clients = [Client()]
    for user in personas.values():
        client = Client()
        client.force_login(user)
        clients.append(client)
    paths = _get_paths(serial)
    assert len(paths) > 25  # the walk reaches the staff pages and the whole API
    answered = 0
    for path in paths:
        for client in clients:
            answered += client.get(path).status_code < 500
    assert answered > 0
    assert SigningKey.objects.count() == 0 and TreeHead.objects.count() == 0
    assert _snapshot() == before
    assert _key_files() == files


def test_it_names_the_command_when_a_read_needs_a_key_the_site_lacks(db):
    trust = Client().get("/api/cards/trust-list.json")
    assert trust.status_code == 503
    assert "sulh card root-init" in trust.json()["error"]["message"]
    head = Client().get("/api/ledger/tree-head")
    assert head.status_code == 404 and "sulh ledger" in head.json()["error"]["message"]
