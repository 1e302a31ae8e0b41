"""Data minimisation: retention erases what is due and records only that it did; exports
need a second officer and are written once; abandoning the site leaves nothing readable."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import connection
from django.http import HttpResponse

from sulh.audit.models import AuditEntry
from sulh.audit.services import audit_verify
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.cli import main
from sulh.core.validation import parse
from sulh.keys.middleware import AbandonedSiteMiddleware
from sulh.keys.sealing import SealError
from sulh.matching import stored
from sulh.registry.models import Person
from sulh.registry.schemas import IntakeIn
from sulh.site.retention import retention_run
from tests.clients import api_client
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PROGRAM = "aleppo-2016-amnesty"


def _register(personas, n: int, clerk: str = "clerk") -> list[tuple[Case, dict]]:
    out = []
    for _ in range(n):
        payload = make_intake(PROGRAM, submitted_at=WHEN)
        case = intake_register(data=parse(IntakeIn, payload), clerk=personas[clerk], now=WHEN).case
        out.append((case, payload))
    return out


def test_retention_erases_cases_past_their_period_and_keeps_the_figures(personas, programs):
    (old, old_payload), (fresh, _) = _register(personas, 2)
    case_services.decision_record(case=old, user=personas["decider"], outcome="amnesty", reason="r")
    Case.objects.filter(pk=old.pk).update(updated_at=WHEN)  # five years and more ago
    now = WHEN + dt.timedelta(days=1825 + 1)
    Case.objects.filter(pk=fresh.pk).update(updated_at=now - dt.timedelta(days=3))
    assert retention_run(now=now, dry_run=True).erased == {PROGRAM: 1}
    assert retention_run(now=now).erased == {PROGRAM: 1}
    old.refresh_from_db()
    person = Person.objects.get(pk=old.intake.person_id)
    assert (person.given_name_ar, person.family_name_lat, person.national_id) == ("", "", "")
    assert old.outcome == "amnesty" and old.erased_at is not None  # figures unchanged
    fresh_person = Person.objects.get(pk=fresh.intake.person_id)
    assert fresh_person.given_name_ar  # not yet due
    entry = AuditEntry.objects.get(action="case_erased")
    assert entry.obj_id == old.intake.serial
    assert old_payload["person"]["family_name_lat"] not in json.dumps(entry.details)
    assert audit_verify().broken_at is None
    assert retention_run(now=now).total == 0  # erased once


def test_an_export_needs_a_second_officer_and_is_written_once(personas, programs):
    _register(personas, 3)
    manager = api_client(personas["manager"])
    admin = api_client(personas["admin"])
    clerk = api_client(personas["clerk"])

    def call(client, method, path, body=None):
        if method == "GET":
            return client.get(path)
        return client.post(path, data=json.dumps(body or {}), content_type="application/json")

    assert (
        call(clerk, "POST", "/api/exports", {"program": PROGRAM, "purpose": "x" * 20}).status_code
        == 403
    )
    short = call(manager, "POST", "/api/exports", {"program": PROGRAM, "purpose": "why"})
    assert short.status_code == 422 and short.json()["error"]["field"] == "purpose"
    asked = call(
        manager, "POST", "/api/exports", {"program": PROGRAM, "purpose": "court order 17/2016"}
    )
    assert asked.status_code == 201
    number = asked.json()["id"]
    csv_path = f"/api/exports/{number}/people.csv"
    assert call(manager, "GET", csv_path).status_code == 409  # not approved yet
    assert call(manager, "POST", f"/api/exports/{number}/approve").status_code == 403  # own
    assert call(admin, "POST", f"/api/exports/{number}/approve").status_code == 200
    assert call(admin, "GET", csv_path).status_code == 403  # only the one who asked
    written = call(manager, "GET", csv_path)
    assert written.status_code == 200
    rows = written.content.decode().splitlines()
    assert rows[0].startswith("serial,station") and len(rows) == 1 + 3
    assert call(manager, "GET", csv_path).status_code == 409  # once
    actions = list(
        AuditEntry.objects.filter(obj_type="export")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["export_requested", "export_approved", "export_written"]


def test_abandoning_the_site_leaves_the_sealed_data_unreadable(
    personas, programs, settings, tmp_path, monkeypatch
):
    # this site's own keys, so that the test never touches the developer's var/keys
    monkeypatch.delenv("SULH_MASTER_KEY", raising=False)
    settings.SULH_KEYS_DIR = tmp_path / "keys"
    assert main(["keyring", "init"]) == 0
    [(case, payload)] = _register(personas, 1)
    assert main(["site", "abandon", "--confirm", "yes"]) == 2
    assert Person.objects.get(pk=case.intake.person_id).given_name_ar
    assert main(["site", "abandon", "--confirm", "DESTROY THE KEYS"]) == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_name_ar FROM registry_person WHERE id = %s", [case.intake.person_id]
        )
        (sealed,) = cursor.fetchone()
    assert payload["person"]["given_name_ar"] not in sealed
    with pytest.raises(SealError):
        Person.objects.get(pk=case.intake.person_id)


def test_a_worker_forgets_the_records_it_opened_once_it_sees_the_site_abandoned(
    personas, programs, settings, tmp_path, monkeypatch
):
    """Second red-team review: a worker answering 503 after abandon still held decrypted
    names and national numbers in its matching caches (a memory dump showed them)."""
    from django.test import Client

    monkeypatch.delenv("SULH_MASTER_KEY", raising=False)
    settings.SULH_KEYS_DIR = tmp_path / "keys"
    assert main(["keyring", "init"]) == 0
    [(case, _payload)] = _register(personas, 1)
    [(_, records)] = stored.registered_records([case.pk])  # this worker opened them
    assert records and stored._case_cache
    assert main(["site", "abandon", "--confirm", "DESTROY THE KEYS"]) == 0
    client = Client()
    client.force_login(personas["vetter"])
    assert client.get("/").status_code == 503  # the first request the worker sees after it
    assert not stored._case_cache and not stored._entry_cache


def test_a_worker_that_gets_no_request_forgets_too_once_the_site_is_abandoned(
    personas, programs, settings, tmp_path, monkeypatch
):
    """Third red-team review (F6, open until now): a worker that received no request after
    the abandon kept its opened records until it stopped."""
    monkeypatch.delenv("SULH_MASTER_KEY", raising=False)
    settings.SULH_KEYS_DIR = tmp_path / "keys"
    assert main(["keyring", "init"]) == 0
    AbandonedSiteMiddleware(lambda request: HttpResponse())  # a worker's start
    [(case, _payload)] = _register(personas, 1)
    stored.registered_records([case.pk])
    assert stored._case_cache
    assert main(["site", "abandon", "--confirm", "DESTROY THE KEYS"]) == 0
    deadline = time.monotonic() + 5
    while stored._case_cache and time.monotonic() < deadline:
        time.sleep(0.1)  # no request reaches the worker meanwhile
    assert not stored._case_cache and not stored._entry_cache
