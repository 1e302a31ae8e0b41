"""Findings 11 and 15 (issue 16), as an attacker tries them: take over an account by being
the first to sign in with its password, lock every officer out with wrong passwords, learn
which usernames exist, and send any number of sign-in and proof requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone

from sulh.accounts import security, throttle
from sulh.accounts.models import EnrolmentCode, LoginState, Throttle
from sulh.accounts.throttle import backoff_delay
from sulh.audit.models import AuditEntry
from sulh.audit.services import entry_open
from sulh.cli import main
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

STRANGER, OFFICE, HOME = "203.0.113.7", "198.51.100.20", "192.0.2.44"


def _sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def _wrong_code(secret: str) -> str:
    good = {
        security.totp_code(secret, security.time.time() + d * security.STEP) for d in (-1, 0, 1)
    }
    return next(code for code in ("000000", "000001", "000002", "000003") if code not in good)


class _StoppedClock:
    """The throttle's clock, stopped: a wait does not run out while the test runs."""

    def __init__(self) -> None:
        self.at = timezone.now()

    def now(self) -> dt.datetime:
        return self.at


@pytest.fixture
def stopped(monkeypatch: pytest.MonkeyPatch) -> _StoppedClock:
    clock = _StoppedClock()
    monkeypatch.setattr(throttle, "timezone", clock)
    return clock


def _wait_passes() -> None:
    """Every wait ends now (as if the back-off's time had passed)."""
    Throttle.objects.update(wait_until=timezone.now() - dt.timedelta(seconds=1))


def _enrol(client: Client, user, enrolment_code: str) -> str:
    """Sign in with the password and the enrolment code; return the new secret."""
    assert _sign_in(client, user.username)["location"] == "/login/code/"
    assert "id_enrolment_code" in client.get("/login/code/").content.decode()
    assert client.post("/login/code/", {"enrolment_code": enrolment_code}).status_code == 302
    assert "<svg" in client.get("/login/code/").content.decode()
    secret = client.session["login_secret"]
    assert client.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 302
    return secret


# --- F11: takeover by the first sign-in --------------------------------------------------


def test_a_password_alone_cannot_enrol_an_authenticator(personas):
    decider = personas["decider"]
    thief = Client(REMOTE_ADDR=STRANGER)
    assert _sign_in(thief, decider.username)["location"] == "/login/code/"
    page = thief.get("/login/code/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "<svg" not in text and "المسؤول" in text  # ask the administrator
    assert "login_secret" not in thief.session
    for guess in ("000000", "123456"):
        assert thief.post("/login/code/", {"code": guess}).status_code == 403
    assert thief.post("/login/code/", {"enrolment_code": "ABCDE-FGHJK"}).status_code == 403
    assert thief.get("/").status_code == 302  # not signed in
    assert not security.totp_enrolled(decider)


def test_an_enrolment_code_is_used_once_by_its_own_account_and_audited(personas):
    decider, cards = personas["decider"], personas["card_officer"]
    code = security.enrolment_code_issue(user=decider, actor=personas["admin"])
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    stored = EnrolmentCode.objects.get(user=decider)
    assert security.normalise_code(code) not in repr(vars(stored))
    # another account with a password cannot use it
    security.enrolment_code_issue(user=cards)
    other = Client()
    _sign_in(other, cards.username)
    assert other.post("/login/code/", {"enrolment_code": code}).status_code == 422
    # its account uses it (in lower case and without the dash too), once
    _enrol(Client(), decider, code.lower().replace("-", ""))
    assert security.totp_enrolled(decider)
    again = Client()
    _sign_in(again, decider.username)
    assert "id_enrolment_code" not in again.get("/login/code/").content.decode()
    assert security.enrolment_code_check(user=decider, code=code) is None
    entries = AuditEntry.objects.filter(
        action__startswith="second_factor.", obj_id=decider.username
    )
    assert sorted(entries.values_list("action", flat=True)) == [
        "second_factor.code_issued",
        "second_factor.enrolled",
    ]
    for entry in entries:
        opened = repr(entry_open(entry)) + repr(vars(entry))
        assert security.normalise_code(code) not in opened.upper().replace("-", "")


def test_a_racing_second_session_cannot_use_the_same_code(personas):
    decider = personas["decider"]
    code = security.enrolment_code_issue(user=decider)
    first, second = Client(), Client(REMOTE_ADDR=STRANGER)
    for client in (first, second):
        _sign_in(client, decider.username)
        assert client.post("/login/code/", {"enrolment_code": code}).status_code == 302
    secret = first.session["login_secret"]
    assert first.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 302
    late = second.session["login_secret"]
    # the account now has the first session's authenticator: the second one's is refused
    assert second.post("/login/code/", {"code": security.totp_code(late)}).status_code == 422
    assert second.get("/").status_code == 302
    state = LoginState.objects.get(user=decider)
    assert state.totp_secret == secret


def test_an_expired_code_does_not_enrol(personas, settings):
    decider = personas["decider"]
    code = security.enrolment_code_issue(user=decider)
    EnrolmentCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = Client()
    _sign_in(client, decider.username)
    assert client.get("/login/code/").status_code == 403
    assert client.post("/login/code/", {"enrolment_code": code}).status_code == 403


def test_a_new_code_resets_a_lost_authenticator_and_the_old_one_stops(personas, capsys):
    decider = personas["decider"]
    old = security.totp_enrol(decider)
    assert main(["users", "enrol-code", decider.username]) == 0
    printed = capsys.readouterr()
    code = printed.out.strip()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code) and "once" in printed.err
    client = Client()
    _sign_in(client, decider.username)
    assert client.post("/login/code/", {"code": security.totp_code(old)}).status_code == 422
    new = _enrol(Client(), decider, code)
    assert new != old
    assert main(["users", "enrol-code", "nobody-here"]) == 2
    assert "username" in capsys.readouterr().err


# --- F11 and F15: lockout, back-off and what the answers reveal --------------------------


def test_a_strangers_50_wrong_passwords_do_not_stop_the_officer_at_another_address(
    personas, stopped
):
    officer = personas["card_officer"]
    secret = security.totp_enrol(officer)
    stranger = Client(REMOTE_ADDR=STRANGER)
    answers = [_sign_in(stranger, officer.username, f"guess {n}") for n in range(50)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert {a.status_code for a in answers[6:]} == {429}
    assert int(answers[-1]["Retry-After"]) >= 1
    assert "_auth_user_id" not in stranger.session
    # the officer, at the office, signs in at once
    office = Client(REMOTE_ADDR=OFFICE)
    assert _sign_in(office, officer.username)["location"] == "/login/code/"
    assert office.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 302
    assert office.get("/").status_code == 200


def test_many_addresses_slow_an_account_by_a_minute_at_most_and_not_on_its_own_browser(
    personas,
):
    clerk = personas["clerk"]
    own = Client(REMOTE_ADDR=OFFICE)
    assert _sign_in(own, clerk.username).status_code == 302  # the browser it uses
    own.post("/logout/")
    assert "sulh_device" in own.cookies
    for n in range(50):  # a botnet: one guess from each of 50 addresses, each after the wait
        _sign_in(Client(REMOTE_ADDR=f"203.0.113.{n + 10}"), clerk.username, f"guess {n}")
        if n < 49:
            _wait_passes()
    assert 55 < security.account_wait(clerk.username) <= 60  # the cap, not a lockout
    # a new browser waits (the usual answer), and is let in once the wait has passed
    fresh = Client(REMOTE_ADDR=HOME)
    waiting = _sign_in(fresh, clerk.username)
    assert waiting.status_code == 200 and "_auth_user_id" not in fresh.session
    # on its own browser, from home, the account signs in now
    own.defaults["REMOTE_ADDR"] = HOME
    assert _sign_in(own, clerk.username).status_code == 302
    _wait_passes()
    assert _sign_in(fresh, clerk.username).status_code == 302


def test_the_back_off_doubles_to_a_cap_and_never_locks():
    delays = [backoff_delay(n, free=5, cap=900) for n in range(1, 20)]
    assert delays[:5] == [0] * 5
    assert delays[5:11] == [1, 2, 4, 8, 16, 32]
    assert max(delays) == 900 and delays[-1] == 900


def _normalised(response) -> str:
    text = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def _answer(username: str, address: str):
    response = _sign_in(Client(REMOTE_ADDR=address), username, "not the password 1")
    return response.status_code, _normalised(response)


def test_unknown_existing_and_waiting_accounts_get_the_same_answer(personas, monkeypatch, stopped):
    hashes = []
    original = MD5PasswordHasher.encode

    def counted(self, password, salt):
        hashes.append(1)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counted)
    existing, unknown = personas["decider"].username, "decider-nobody"
    for n in range(30):  # from distinct addresses, so that only the accounts wait
        before = len(hashes)
        assert _answer(existing, f"198.18.0.{n}") == _answer(unknown, f"198.18.1.{n}")
        assert len(hashes) - before == 2  # one password hash each: the same time
    assert security.account_wait(existing) > 0 and security.account_wait(unknown) > 0
    # the right password of a waiting account gets that same answer too
    right = _sign_in(Client(REMOTE_ADDR="198.18.2.1"), existing)
    assert (right.status_code, _normalised(right)) == _answer(unknown, "198.18.2.2")


def test_wrong_second_step_codes_back_off(personas, stopped):
    officer = personas["card_officer"]
    secret = security.totp_enrol(officer)
    thief = Client(REMOTE_ADDR=STRANGER)
    _sign_in(thief, officer.username)
    wrong = _wrong_code(secret)
    answers = [thief.post("/login/code/", {"code": wrong}).status_code for _ in range(8)]
    assert answers[:5] == [422] * 5 and answers[-1] == 429
    assert thief.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 429


def test_the_throttle_table_holds_no_address_or_username(personas):
    _sign_in(Client(REMOTE_ADDR=STRANGER), personas["clerk"].username, "guess 1")
    rows = list(Throttle.objects.values_list("key", flat=True))
    assert rows and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in rows)


# --- F15: rate limits ----------------------------------------------------------------------


def test_a_proof_endpoint_answers_429_after_the_limit(settings, db):
    settings.SULH_RATE_PROOFS = 3
    client = Client(REMOTE_ADDR=STRANGER)
    paths = [
        "/api/ledger/tree-head",
        "/api/ledger/proof/inclusion?index=0",
        "/api/ledger/proof/consistency?old=0",
    ]
    for path in paths:
        assert client.get(path).status_code != 429
    refused = client.get(paths[1])
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    assert Client(REMOTE_ADDR=OFFICE).get(paths[1]).status_code != 429


def test_the_sign_in_pages_answer_429_after_the_limit(personas, settings):
    settings.SULH_RATE_SIGN_IN = 3
    client = Client(REMOTE_ADDR=STRANGER)
    for _ in range(3):
        assert _sign_in(client, "someone-else", "guess").status_code == 200
    refused = _sign_in(client, personas["clerk"].username)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


def test_a_forwarded_header_is_trusted_only_behind_a_configured_proxy(personas, settings):
    settings.SULH_RATE_SIGN_IN = 2
    spoofing = [Client(REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}") for n in range(3)]
    assert [_sign_in(c, "someone", "guess").status_code for c in spoofing] == [200, 200, 429]
    settings.SULH_TRUSTED_PROXIES = 1
    behind = [Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"10.1.0.{n}") for n in range(3)]
    assert [_sign_in(c, "someone", "guess").status_code for c in behind] == [200, 200, 200]


def test_an_administrator_issues_a_code_from_the_admin_site(personas):
    admin, decider = personas["admin"], personas["decider"]
    secret = security.totp_enrol(admin)
    client = Client()
    _sign_in(client, admin.username)
    assert client.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 302
    page = client.post(
        "/admin/accounts/user/",
        {"action": "issue_enrolment_code", "_selected_action": [decider.pk]},
        follow=True,
    ).content.decode()
    shown = re.search(rf"(?i:{decider.username}): ([A-Z2-9]{{5}}-[A-Z2-9]{{5}})", page)
    assert shown is not None
    code = shown.group(1)
    entry = AuditEntry.objects.get(action="second_factor.code_issued")
    assert entry.actor == admin.username and entry.obj_id == decider.username
    _enrol(Client(REMOTE_ADDR=OFFICE), decider, code)
