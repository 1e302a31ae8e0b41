"""Accounts: a second factor for officers who decide, revoke or export, CSRF on forms, and
security headers without inline script (throttling: test_sign_in_attacks.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from sulh.accounts import security
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _password(client: Client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


class StoppedClock:
    """The second factor's clock, stopped mid-step and moved by hand: which codes are good
    then depends on neither when the test runs nor how long it takes."""

    def __init__(self) -> None:
        self.at = 1_700_000_000 // security.STEP * security.STEP + security.STEP / 2

    def time(self) -> float:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StoppedClock:
    stopped = StoppedClock()
    monkeypatch.setattr(security, "time", stopped)
    return stopped


def _a_wrong_code(secret: str) -> str:
    """A code no step in the accepted window gives (a fixed one is right once in 300,000)."""
    good = {
        security.totp_code(secret, security.time.time() + d * security.STEP) for d in (-1, 0, 1)
    }
    return next(code for code in ("000000", "000001", "000002", "000003") if code not in good)


def test_a_clerk_signs_in_with_a_password_only(personas):
    client = Client()
    response = _password(client, personas["clerk"].username)
    assert response.status_code == 302 and response["location"] == "/"
    assert client.get("/").status_code == 200


def test_a_deciding_officer_enrols_then_needs_a_fresh_code(personas, clock):
    decider = personas["decider"]
    enrolment_code = security.enrolment_code_issue(user=decider, actor=personas["admin"])
    client = Client()
    response = _password(client, decider.username)
    assert response["location"] == "/login/code/"
    assert client.get("/").status_code == 302  # not signed in yet
    assert client.post("/login/code/", {"enrolment_code": enrolment_code}).status_code == 302
    page = client.get("/login/code/").content.decode()
    assert "<svg" in page  # the enrolment QR code
    secret = client.session["login_secret"]
    assert client.post("/login/code/", {"code": _a_wrong_code(secret)}).status_code == 422
    code = security.totp_code(secret)
    assert client.post("/login/code/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 200
    # next time: the stored secret, and a code is good only once
    again = Client()
    _password(again, decider.username)
    assert "<svg" not in again.get("/login/code/").content.decode()
    assert again.post("/login/code/", {"code": code}).status_code == 422
    clock.at += security.STEP
    later = security.totp_code(secret)
    assert again.post("/login/code/", {"code": later}).status_code == 302


def test_forms_need_their_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    assert _password(client, personas["clerk"].username).status_code == 403


def test_pages_carry_a_policy_without_inline_script(personas):
    client = Client()
    client.force_login(personas["clerk"])
    for path in ("/", "/login/", "/verify/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response["X-Frame-Options"] == "DENY"
    templates = Path(__file__).resolve().parents[2] / "sulh" / "web" / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # no inline handlers
