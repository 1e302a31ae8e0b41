"""No personal data in the server's log, after a full flow in a real browser.

A real installation (tests.trust.live_server) runs ``sulh serve``: gunicorn with its access
log on standard output, and the application's own logging (Django's ``django.request``, the
``sulh.*`` loggers, warnings, errors) on standard error at DEBUG, everything written to
``server.log``. In the system's Chromium, a registration clerk signs in and registers a
generated person with names in both scripts, a birth date, a national number, a weapon
serial and a family member; the look-alike check on the intake page fires (a look-alike was
registered before over the API); the clerk prints the receipt. A vetting officer searches
for the person with a purpose that names someone, opens the case and clears the look-alike
with a reason that names someone; a deciding officer enrols an authenticator with the code
``sulh users enrol-code`` printed, signs in with it, finds the case and records a decision
whose reason names an informant.

Then the log, read as bytes, holds none of what was typed (raw, percent-encoded as in a
query string, or escaped as in JSON), no ``/search/`` request carries a query string, and it
does hold the access lines of the pages visited (so it cannot pass by logging nothing).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from sulh.accounts import security
from tests.conftest import PASSWORD
from tests.trust.live_server import Installation, Server, post_intake

CHROMIUM = Path("/usr/bin/chromium")
PROGRAM = "aleppo-2016-amnesty"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]

# Made-up people (nobody real): the registrant, a look-alike registered before him, his
# wife, and the informant whom the search purpose and the decision's reasons name.
PERSON = {
    "given_name_ar": "زهير",
    "father_name_ar": "مروان",
    "family_name_ar": "الطحانوي",
    "mother_name_ar": "سلوى قنديل",
    "given_name_lat": "Zuhair",
    "father_name_lat": "Marwan",
    "family_name_lat": "al-Tahhanawi",
    "mother_name_lat": "Salwa Qandil",
    "birth_place": "Tell Qarmuzi",
}
BIRTH_TYPED = "03/04/1988"  # as the clerk types it, day first
BIRTH_ISO = "1988-04-03"  # as it is stored
BIRTH_ARABIC_DIGITS = "٠٣/٠٤/١٩٨٨"  # as the vetting officer types it in the search
NATIONAL_ID = "04019283746"
WEAPON_SERIAL = "KX55817302"
DOCUMENT_NUMBER = "MQ-7730418"
SPOUSE_AR, SPOUSE_LAT = "ريماز حدّورة", "Rimaz Haddoura"
INFORMANT_AR, INFORMANT_LAT = "فواز الشرقاوي", "Fawwaz al-Sharqawi"
LOOKALIKE_MOTHER_AR, LOOKALIKE_MOTHER_LAT = "نجوى الصبّاغ", "Najwa Sabbagh"
LOOKALIKE_SERIAL = "TQ90461125"
SEARCH_PURPOSE = f"tip-off from {INFORMANT_LAT} ({INFORMANT_AR}) about a surrendered rifle"
CLEAR_REASON = f"not the same man: {LOOKALIKE_MOTHER_LAT} is another mother, says {INFORMANT_LAT}"
DECISION_REASON = f"informant {INFORMANT_LAT} ({INFORMANT_AR}) saw him hand in {WEAPON_SERIAL}"

CLERK, VETTER, DECIDER = "clerk-log1", "vetter-log1", "decider-log1"
CASE_READS = 20


class LoggingInstallation(Installation):
    """An installation whose processes log everything: the application's loggers at DEBUG
    (settings.py reads SULH_LOG_LEVEL for the root logger, whose console handler writes to
    standard error, which ``Server`` sends to server.log with gunicorn's access log)."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env["SULH_LOG_LEVEL"] = "DEBUG"
        env["PYTHONWARNINGS"] = "default"  # every warning once per place, on standard error
        env["SULH_CASE_READS"] = str(CASE_READS)  # low enough for the flow to raise an alert
        return env


def _personal_strings() -> list[str]:
    """Everything typed or registered that says who someone is."""
    values = [
        *PERSON.values(),
        f"{PERSON['given_name_ar']} {PERSON['father_name_ar']}",
        f"{PERSON['given_name_lat']} {PERSON['family_name_lat']}",
        BIRTH_TYPED,
        BIRTH_ISO,
        BIRTH_ARABIC_DIGITS,
        "03.04.1988",
        "1988/04/03",
        NATIONAL_ID,
        WEAPON_SERIAL,
        DOCUMENT_NUMBER,
        SPOUSE_AR,
        SPOUSE_LAT,
        *SPOUSE_AR.split(),
        *SPOUSE_LAT.split(),
        INFORMANT_AR,
        INFORMANT_LAT,
        *INFORMANT_AR.split(),
        *INFORMANT_LAT.split(),
        LOOKALIKE_MOTHER_AR,
        LOOKALIKE_MOTHER_LAT,
        LOOKALIKE_SERIAL,
        SEARCH_PURPOSE,
        CLEAR_REASON,
        DECISION_REASON,
    ]
    return sorted({v for v in values if len(v) >= 4})


def _forms(value: str) -> set[bytes]:
    """How a value may be written into a log: as is, percent-encoded (a query string or a
    Referer), or escaped (JSON, a repr)."""
    return {
        value.encode(),
        quote(value, safe="").encode(),
        quote_plus(value, safe="").encode(),
        quote(value).encode(),
        json.dumps(value)[1:-1].encode(),
        value.encode("unicode_escape"),
    }


def _sulh(installation: Installation, *argv: str) -> str:
    done = installation.sulh(*argv)
    assert done.returncode == 0, f"sulh {' '.join(argv)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system's Chromium (Debian's package), never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


class Desk:
    """One member of staff in their own browser context."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def sign_in(self, username: str) -> None:
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], f"page errors {self.errors}"


def _register_lookalike(port: int, token: str) -> None:
    """Registered before, over the API at the same station: the same names and birth date,
    another mother and weapon (so the intake page's check finds one look-alike)."""
    person = {
        **{k: v for k, v in PERSON.items() if k != "mother_name_lat"},
        "mother_name_ar": LOOKALIKE_MOTHER_AR,
        "birth_date": BIRTH_ISO,
        "national_id": "",
        "sex": "male",
    }
    payload = {
        "idempotency_key": secrets.token_hex(16),
        "program": PROGRAM,
        "person": person,
        "category": "combatant",
        "affiliation": "armed-opposition",
        "origin": "local",
        "items": [
            {
                "kind": "weapon",
                "weapon_type": "pistol",
                "calibre": "9x19",
                "serial_number": LOOKALIKE_SERIAL,
            }
        ],
        "pledge": {"version": "2016.1", "language": "ar", "signed": True},
    }
    status, answer = post_intake(port, payload, token=token)
    assert status == 201, answer


def _register(clerk: Desk) -> str:
    page = clerk.page
    clerk.go(f"/intake/?program={PROGRAM}")
    page.wait_for_selector("#intake")
    for field, value in PERSON.items():
        page.fill(f"#{field}", value)
    page.fill("#birth_date", BIRTH_TYPED)
    page.fill("#national_id", NATIONAL_ID)
    page.dispatch_event("#national_id", "change")
    # the look-alike check (a POST to /intake/check/) answers before anything is saved
    page.wait_for_selector("#candidates[data-duplicates='1']", state="attached", timeout=15_000)
    page.select_option("#category", "combatant")
    page.select_option("#affiliation", "armed-opposition")
    page.select_option("#origin", "local")
    page.select_option("#document_type", "military_id")
    page.fill("#document_number", DOCUMENT_NUMBER)
    page.select_option("#family-0-relation", "spouse")
    page.fill("#family-0-name_ar", SPOUSE_AR)
    page.fill("#family-0-name_lat", SPOUSE_LAT)
    page.fill("#family-0-birth_year", "1991")
    page.fill("#item-0-weapon_type", "rifle")
    page.fill("#item-0-calibre", "7.62x39")
    page.fill("#item-0-serial_number", WEAPON_SERIAL)
    page.check("#pledge_signed")
    page.click("#register")
    page.wait_for_load_state()
    if page.locator("#form-error").count():
        raise AssertionError(page.inner_text("#form-error"))
    page.wait_for_selector("#serial")
    return page.inner_text("#serial").strip()


def _print_receipt(clerk: Desk) -> None:
    page = clerk.page
    assert PERSON["given_name_lat"] in page.inner_text("main")
    assert WEAPON_SERIAL in page.inner_text("main")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("button.print")
    assert page.evaluate("() => window.printed") == 1
    assert page.pdf(format="A4").startswith(b"%PDF")  # as the printer receives it


def _search(desk: Desk, serial: str) -> None:
    page = desk.page
    desk.go("/search/")
    page.fill("#s-given", PERSON["given_name_lat"])
    page.fill("#s-family", PERSON["family_name_lat"])
    page.fill("#s-birth", BIRTH_ARABIC_DIGITS)
    page.fill("#s-purpose", SEARCH_PURPOSE)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#results")
    assert page.url == f"{desk.base}/search/"  # posted: nothing in the address
    page.click(f"#results a:has-text('{serial}')")
    page.wait_for_selector("#state")


def test_no_personal_data_in_the_server_log_after_a_browser_flow(tmp_path, browser):
    installation = LoggingInstallation(tmp_path / "site")
    tokens = installation.prepare(stations=("kil1",))
    _sulh(
        installation,
        "manage",
        "shell",
        "-c",
        "from sulh.accounts.models import Role, Station\n"
        "from sulh.accounts.services import user_create\n"
        "station = Station.objects.get(code='kil1')\n"
        f"user_create(username={CLERK!r}, password={PASSWORD!r}, role=Role.CLERK,"
        " station=station)\n"
        f"user_create(username={VETTER!r}, password={PASSWORD!r}, role=Role.VETTING_OFFICER)\n"
        f"user_create(username={DECIDER!r}, password={PASSWORD!r},"
        " role=Role.DECIDING_OFFICER)\n",
    )
    for officer in (VETTER, DECIDER):
        _sulh(installation, "users", "serve", officer, "--program", PROGRAM)
    enrolment_code = _sulh(installation, "users", "enrol-code", DECIDER).strip().splitlines()[0]

    with Server(installation, workers=2) as server:
        base = f"http://127.0.0.1:{server.port}"
        _register_lookalike(server.port, tokens["kil1"])

        clerk = Desk(browser, base)
        clerk.sign_in(CLERK)
        clerk.page.wait_for_selector(".who")
        serial = _register(clerk)
        _print_receipt(clerk)
        clerk.close()

        vetter = Desk(browser, base)
        vetter.sign_in(VETTER)
        vetter.page.wait_for_selector(".who")
        _search(vetter, serial)
        vetter.page.fill("#candidates input[name=reason]", CLEAR_REASON)
        vetter.page.click("#candidates button[value=clear]")
        vetter.page.wait_for_selector("#done")
        # the application's own logging reaches the log: a 404 (django.request) and, past
        # the account's read budget, a 429 and an alert (sulh.alerts)
        assert vetter.page.goto(f"{base}/no-such-page/").status == 404
        statuses = [vetter.page.goto(f"{base}/cases/{serial}/").status for _ in range(CASE_READS)]
        assert 429 in statuses, statuses
        vetter.close()

        decider = Desk(browser, base)
        decider.sign_in(DECIDER)
        decider.page.wait_for_url("**/login/code/")
        decider.page.fill("#id_enrolment_code", enrolment_code)
        decider.page.click("main button[type=submit]")
        decider.page.wait_for_selector("code.secret")
        secret = decider.page.inner_text("code.secret").replace(" ", "")
        decider.page.fill("#id_code", security.totp_code(secret))
        decider.page.click("main button[type=submit]")
        decider.page.wait_for_selector(".who")
        _search(decider, serial)
        decider.page.select_option("#outcome-choice", "amnesty")
        decider.page.fill("#decision-reason", DECISION_REASON)
        decider.page.click("#decide button[type=submit]")
        decider.page.wait_for_selector("#outcome")
        decider.close()

    log = server.log.read_bytes()
    lines = log.splitlines()

    # the log is written, and it is this flow's: the access lines of every page visited
    requests = [
        "POST /api/intakes ",
        "POST /login/ ",
        f"GET /intake/?program={PROGRAM} ",
        "POST /intake/check/ ",
        f"POST /intake/?program={PROGRAM} ",
        f"GET /cases/{serial}/receipt/ ",
        "GET /search/ ",
        "POST /search/ ",
        f"GET /cases/{serial}/ ",
        f"POST /cases/{serial}/candidates/",
        "POST /login/code/ ",
        f"POST /cases/{serial}/decide/ ",
    ]
    missing = [r for r in requests if f'"{r}'.encode() not in log]
    assert missing == [], f"no access line for {missing} in:\n{log.decode(errors='replace')}"
    for said in (
        b"Not Found: /no-such-page/",
        b"Too Many Requests: /cases/",
        b"alert bulk_case_reads",
    ):
        assert said in log, f"{said!r} not in:\n{log.decode(errors='replace')}"

    # no search carries its terms in the address
    searches = [line for line in lines if b" /search/" in line or b"/search/?" in line]
    assert len(searches) >= 4
    assert [line for line in searches if b"/search/?" in line] == []

    # and nothing typed or registered that says who someone is
    found = [
        (value, number, line.decode(errors="replace"))
        for value in _personal_strings()
        for number, line in enumerate(lines, 1)
        if any(form in line for form in _forms(value))
    ]
    assert found == [], "personal data in server.log:\n" + "\n".join(
        f"{value!r} on line {number}: {line}" for value, number, line in found
    )
    assert not re.search(rb"Traceback|Internal Server Error", log), log.decode(errors="replace")
