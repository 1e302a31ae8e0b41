"""F7: API tokens. An officer's bare token recorded a decision and revoked and reinstated a
card without a second factor. Now device tokens are for station devices only (bound to a
station and a device, scoped, expiring, revocable, audited), and an officer's actions over
the API need a step-up token minted after a fresh TOTP code."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from sulh.accounts import policy, security
from sulh.accounts.models import DeviceToken, StepUp
from sulh.api import tokens
from sulh.audit.models import AuditEntry
from sulh.audit.services import audit_verify, entry_open
from sulh.cards import services as card_services
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Decision
from sulh.cli import main
from sulh.core.errors import (
    Conflict,
    PermissionDenied,
    RateLimited,
    SulhError,
    ValidationFailed,
)
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client, device_client, device_token_for, step_up_for
from tests.conftest import make_intake
from tests.trust.test_policy import _endpoints, _functions, _names_reached

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PROGRAM = "aleppo-2016-amnesty"


def _registered(personas: dict[str, Any]) -> Any:
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def _with_card(personas: dict[str, Any]) -> Any:
    case = _registered(personas)
    decision = case_services.decision_record(
        case=case, user=personas["decider"], outcome="amnesty", reason="r"
    )
    if decision.status == "awaiting_second":
        case_services.decision_confirm(
            decision=decision, user=personas["decider2"], reason="agreed"
        )
    case.refresh_from_db()
    return card_services.card_issue(case=case, user=personas["card_officer"])


def _post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def _planted_token(user: Any, station: Any) -> str:
    """A token row written around the service (an old bare token, or one slipped into the
    database): the raw value and a row holding its hash, scoped for everything."""
    raw = "sulhd_planted-" + user.username
    now = timezone.now()
    DeviceToken.objects.create(
        user=user,
        station=station,
        device=f"desk-{user.pk}",
        scopes=" ".join(tokens.SCOPE_ENDPOINTS),
        token_sha256=tokens.token_hash(raw),
        created_at=now,
        expires_at=now + dt.timedelta(days=90),
    )
    return raw


# --- The attack of F7 ------------------------------------------------------------------------


def test_an_officers_token_records_no_decision_and_revokes_no_card(personas, programs, stations):
    case = _registered(personas)
    card = _with_card(personas)
    for officer in ("decider", "card_officer", "manager", "admin"):
        with pytest.raises(PermissionDenied) as refused:
            device_token_for(personas[officer], scopes=["intake"])
        assert refused.value.field == "user"
    assert not DeviceToken.objects.exists()

    # a token that reached the database anyway buys nothing
    decider = Client(
        headers={"authorization": f"Bearer {_planted_token(personas['decider'], stations['alp1'])}"}
    )
    decided = _post(
        decider, f"/api/cases/{case.intake.serial}/decisions", {"outcome": "amnesty", "reason": ""}
    )
    assert decided.status_code == 403 and decided.json()["error"]["field"] == "user"
    card_officer = Client(
        headers={
            "authorization": f"Bearer {_planted_token(personas['card_officer'], stations['alp1'])}"
        }
    )
    revoked = _post(
        card_officer, f"/api/cards/{card.card_id}/state", {"state": "revoked", "reason": "x"}
    )
    assert revoked.status_code == 403

    # nor does the officer's own session without a fresh second factor
    for persona, url, body in (
        (
            "decider",
            f"/api/cases/{case.intake.serial}/decisions",
            {"outcome": "amnesty", "reason": ""},
        ),
        ("card_officer", f"/api/cards/{card.card_id}/state", {"state": "revoked", "reason": "x"}),
        ("card_officer", f"/api/cases/{case.intake.serial}/cards", {"reason": ""}),
        ("decider", f"/api/cases/{case.intake.serial}/revoke-eligibility", {"reason": "x"}),
        ("manager", "/api/exports", {"program": PROGRAM, "purpose": "court order 17/2016"}),
    ):
        session = Client()
        session.force_login(personas[persona])
        answer = _post(session, url, body)
        assert answer.status_code == 401, url
        assert answer.json()["error"]["code"] == "step_up_required"
        assert "POST /api/step-up" in answer.json()["error"]["message"]
    assert not Decision.objects.filter(case=case).exists()
    card.refresh_from_db()
    assert card.state == "valid"
    refusals = AuditEntry.objects.filter(action="device_token_refused")
    assert {entry_open(e)["details"]["reason"] for e in refusals} == {"officer"}


def test_with_a_step_up_the_officer_decides_and_revokes(personas, programs):
    case = _registered(personas)
    card = _with_card(personas)
    decider = api_client(personas["decider"])  # signed in, with a step-up token
    decided = _post(
        decider, f"/api/cases/{case.intake.serial}/decisions", {"outcome": "amnesty", "reason": ""}
    )
    assert decided.status_code == 201
    revoked = _post(
        api_client(personas["card_officer"]),
        f"/api/cards/{card.card_id}/state",
        {"state": "revoked", "reason": "fraud"},
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"


# --- Device tokens ---------------------------------------------------------------------------


def test_a_device_token_registers_at_its_station_and_does_nothing_else(
    personas, programs, server_clock
):
    server_clock(WHEN)  # the seed program's window is historical
    device = device_client(personas["clerk"], scopes=["intake"])
    created = _post(device, "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN.isoformat()))
    assert created.status_code == 201
    serial = created.json()["serial"]
    assert device.get(f"/api/cases/{serial}").status_code == 200
    for method, url in (
        ("GET", f"/api/cases/{serial}/candidates"),
        ("POST", f"/api/cases/{serial}/appeal"),
        ("POST", "/api/step-up"),
    ):
        answer = (
            device.get(url) if method == "GET" else _post(device, url, {"reason": "x", "code": "1"})
        )
        assert answer.status_code == 403, url
        assert answer.json()["error"]["field"] == "scope"
    tallies = device_client(personas["coordinator"], scopes=["tallies"])
    counted = _post(
        tallies,
        f"/api/programs/{PROGRAM}/corridor-tallies",
        {"point": "xing1", "day": "2016-08-10", "count": 4},
    )
    assert counted.status_code == 201
    assert _post(tallies, "/api/intakes", make_intake(PROGRAM)).status_code == 403


def test_an_expired_revoked_or_wrong_station_token_is_refused(personas, programs, stations, caplog):
    caplog.set_level(logging.DEBUG)
    clerk = personas["clerk"]
    raw = device_token_for(clerk, scopes=["intake"])
    device = Client(headers={"authorization": f"Bearer {raw}"})
    assert device.get("/api/programs").status_code == 200

    clerk.station = stations["alp2"]  # moved to another station: the tablet stays behind
    clerk.save(update_fields=["station"])
    moved = device.get("/api/programs")
    assert moved.status_code == 403 and moved.json()["error"]["field"] == "station"
    clerk.station = stations["alp1"]
    clerk.save(update_fields=["station"])

    token = DeviceToken.objects.get()
    DeviceToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - dt.timedelta(days=91),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    expired = device.get("/api/programs")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]

    DeviceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    tokens.device_token_revoke(token_id=token.pk)
    revoked = device.get("/api/programs")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    unknown = Client(headers={"authorization": "Bearer sulhd_made-up"}).get("/api/programs")
    assert unknown.status_code == 401

    reasons = [
        entry_open(e)["details"]["reason"]
        for e in AuditEntry.objects.filter(action="device_token_refused").order_by("seq")
    ]
    assert reasons == ["wrong station", "expired", "revoked"]
    # the raw token is nowhere: not in a log line, an audit entry or a table
    assert raw not in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_devicetoken")
        assert raw not in repr(cursor.fetchall())
    for entry in AuditEntry.objects.filter(obj_type="device_token"):
        assert raw not in json.dumps(entry_open(entry)) and raw not in entry.sealed
    assert audit_verify().broken_at is None


def test_bad_device_token_input_names_the_field(personas, stations):
    clerk, station = personas["clerk"], stations["alp1"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"device": ""}, "device"),
        ({"device": "Omar's phone"}, "device"),
        ({"days": 0}, "days"),
        ({"days": 400}, "days"),
        ({"scopes": []}, "scope"),
        ({"scopes": ["everything"]}, "scope"),
        ({"scopes": ["tallies"]}, "scope"),  # a clerk does not count corridors
        ({"station": stations["alp2"]}, "station"),
        ({"user": personas["vetter"], "scopes": ["intake"]}, "scope"),
        ({"user": personas["card_officer"]}, "user"),
    ]
    for change, field in cases:
        arguments = {"user": clerk, "station": station, "device": "tab-1", "scopes": ["intake"]}
        arguments.update(change)
        with pytest.raises(SulhError) as refused:
            tokens.device_token_create(**arguments)
        assert refused.value.field == field, change
    assert not DeviceToken.objects.exists()
    tokens.device_token_create(user=clerk, station=station, device="tab-1", scopes=["intake"])
    with pytest.raises(Conflict) as twice:
        tokens.device_token_create(user=clerk, station=station, device="tab-1", scopes=["intake"])
    assert twice.value.field == "device"
    assert DeviceToken.objects.count() == 1


# --- Step-up tokens --------------------------------------------------------------------------


def test_a_step_up_token_works_for_its_user_only_and_expires(personas, programs):
    case = _registered(personas)
    decider = personas["decider"]
    secret = security.totp_enrol(decider)
    session = Client()
    session.force_login(decider)
    wrong = _post(
        session,
        "/api/step-up",
        {"code": "000000" if security.totp_code(secret) != "000000" else "111111"},
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["field"] == "code"
    minted = _post(session, "/api/step-up", {"code": security.totp_code(secret)})
    assert minted.status_code == 201
    step_up = minted.json()["token"]
    assert minted.json()["header"] == tokens.STEP_UP_HEADER
    again = _post(session, "/api/step-up", {"code": security.totp_code(secret)})
    assert again.status_code == 403  # a code is used once

    url = f"/api/cases/{case.intake.serial}/decisions"
    body = {"outcome": "amnesty", "reason": ""}
    other = Client()
    other.force_login(personas["decider2"])
    stolen = _post(other, url, body, **{tokens.STEP_UP_HEADER: step_up})
    assert stolen.status_code == 401 and "not yours" in stolen.json()["error"]["message"]

    StepUp.objects.filter(granted=True).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    late = _post(session, url, body, **{tokens.STEP_UP_HEADER: step_up})
    assert late.status_code == 401 and "expired" in late.json()["error"]["message"]
    assert not Decision.objects.filter(case=case).exists()

    fresh = step_up_for(decider)
    assert _post(session, url, body, **{tokens.STEP_UP_HEADER: fresh}).status_code == 201
    lifetime = StepUp.objects.filter(granted=True).latest("at")
    assert lifetime.expires_at - lifetime.at == dt.timedelta(minutes=5)
    actions = list(AuditEntry.objects.filter(obj_type="user").values_list("action", flat=True))
    assert actions.count("step_up_granted") == 2 and "step_up_refused" in actions


def test_guessing_step_up_codes_is_stopped_and_roles_without_a_second_factor_get_none(personas):
    manager = personas["manager"]
    secret = security.totp_enrol(manager)
    good = security.totp_code(secret)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(tokens.STEP_UP_MAX_REFUSALS):
        with pytest.raises(PermissionDenied):
            tokens.step_up_grant(user=manager, code=bad)
    with pytest.raises(RateLimited):
        tokens.step_up_grant(user=manager, code=good)  # even the right code, for a while
    with pytest.raises(PermissionDenied) as clerk:
        tokens.step_up_grant(user=personas["clerk"], code=good)
    assert clerk.value.field == "user"
    with pytest.raises(PermissionDenied) as unenrolled:
        tokens.step_up_grant(user=personas["admin"], code=good)
    assert unenrolled.value.field == "code"


def test_every_endpoint_of_a_second_factor_action_asks_for_a_step_up():
    from sulh.api import api as module

    functions = _functions(module)
    needing = {action.name for action in policy.SECOND_FACTOR_ACTIONS}
    missing = [
        name
        for name, public in _endpoints().items()
        if not public
        and _names_reached(name, functions) & needing
        and "_stepped_up" not in _names_reached(name, functions)
    ]
    assert missing == []
    stepped = [name for name in _endpoints() if "_stepped_up" in _names_reached(name, functions)]
    assert len(stepped) >= 11


def test_every_scope_reaches_only_what_a_station_device_needs():
    assert set(tokens.SCOPE_ENDPOINTS) == set(policy.DEVICE_SCOPES)
    reached = {name for allowed in tokens.SCOPE_ENDPOINTS.values() for _method, name in allowed}
    assert reached <= set(_endpoints())
    assert reached == {
        "intakes_create",
        "cases_detail",
        "cases_events",
        "programs_list",
        "programs_detail",
        "corridor_tally",
        "convoys_boardings",
        "convoys_no_shows",
        "convoys_arrivals",
        "convoys_detail",
    }
    for action in policy.DEVICE_SCOPES.values():
        assert action not in policy.SECOND_FACTOR_ACTIONS


# --- The command line ------------------------------------------------------------------------


def test_the_tokens_command_creates_lists_and_revokes(personas, programs, capsys):
    args = ["tokens", "create", "--user", "clerk-amal", "--station", "alp1", "--device", "tablet-3"]
    assert main([*args, "--scope", "intake", "--days", "30"]) == 0
    out = capsys.readouterr().out
    raw = out.strip().splitlines()[-1]
    assert raw.startswith(tokens.DEVICE_PREFIX)
    token = DeviceToken.objects.get()
    assert (token.device, token.station.code, token.scopes) == ("tablet-3", "alp1", "intake")
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    device = Client(headers={"authorization": f"Bearer {raw}"})
    assert device.get("/api/programs").status_code == 200

    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "tablet-3" in listed and "live" in listed
    assert raw not in listed and token.token_sha256 not in listed

    assert main(["tokens", "revoke", str(token.pk)]) == 0
    assert device.get("/api/programs").status_code == 401
    assert main(["tokens", "revoke", str(token.pk)]) == 2
    assert "error: id:" in capsys.readouterr().err
    assert main(["tokens", "list"]) == 0
    assert "revoked" in capsys.readouterr().out

    for bad, field in (
        (["--user", "nobody"], "user"),
        (["--station", "nowhere"], "station"),
        (["--days", "1000"], "days"),
    ):
        changed = [*args, "--days", "30"]
        changed[changed.index(bad[0]) + 1] = bad[1]
        assert main([*changed, "--scope", "intake"]) == 2
        assert f"error: {field}:" in capsys.readouterr().err
    officer = ["tokens", "create", "--user", "decider-fadi", "--station", "alp1", "--device", "t"]
    assert main([*officer, "--scope", "intake"]) == 2
    assert "error: user:" in capsys.readouterr().err
    actions = list(
        AuditEntry.objects.filter(obj_type="device_token")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["device_token_created", "device_token_revoked", "device_token_refused"]


def test_a_device_token_never_outlives_its_bound(personas, stations):
    with pytest.raises(ValidationFailed):
        tokens.device_token_create(
            user=personas["clerk"],
            station=stations["alp1"],
            device="t",
            scopes=["intake"],
            days=tokens.MAX_DAYS + 1,
        )
    made = tokens.device_token_create(
        user=personas["clerk"], station=stations["alp1"], device="t", scopes=["intake"]
    )
    assert made.token.expires_at - made.token.created_at == dt.timedelta(days=tokens.DEFAULT_DAYS)
