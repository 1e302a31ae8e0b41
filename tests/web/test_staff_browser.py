"""The staff site in the system's Chromium, in Arabic and in English: log in (with the
second factor where the role needs it), register a person with a family member and a
weapon, see the duplicate candidate, decide with four eyes, issue and print a card,
scan the printed card on the verifier page, see the dashboard.

Any console error or uncaught page error fails the test. Screenshots go to
tests/screenshots/staff-<lang>-<step>.png (git-ignored).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sulh.accounts import security
from sulh.cases.models import Case
from tests.conftest import PASSWORD
from tests.web.conftest import BROWSER_TEST

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LAPTOP = {"width": 1366, "height": 768}

pytestmark = BROWSER_TEST


class Desk:
    """One member of staff in their own browser context."""

    def __init__(
        self,
        browser: Any,
        base: str,
        lang: str,
        user: Any,
        secret: str = "",
        viewport: dict[str, int] | None = None,
    ) -> None:
        self.base, self.lang, self.user = base, lang, user
        self.context = browser.new_context(viewport=viewport or LAPTOP, locale="en-US")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base}/login/")
        if self.page.get_attribute("html", "lang") != lang:  # the site's own switch
            self.page.click(f"button[name=language][value={lang}]")
        self.page.wait_for_selector(f"html[lang={lang}]", state="attached")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        if secret:
            self.page.wait_for_url("**/login/code/")
            self.page.fill("#id_code", security.totp_code(secret))
            self.page.click("main button[type=submit]")
        self.page.wait_for_selector(".who")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def shot(self, step: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(
            path=str(SCREENSHOTS / f"staff-{self.lang}-{step}.png"), full_page=True
        )

    def close(self) -> None:
        # Console messages arrive in order with the page's answers: once the page has no
        # request in flight and has run the tasks queued so far, every message it logged
        # has been heard (a fixed pause only guessed how long that takes).
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve))")
        self.context.close()
        assert self.errors == [], f"{self.user.username}: console errors {self.errors}"


def _register(desk: Desk, *, arabic: bool, latin_family: str, known: bool = False) -> str:
    page = desk.page
    desk.go("/intake/")
    page.wait_for_selector("#intake")
    if arabic:
        page.fill("#given_name_ar", "سامر")
        page.fill("#father_name_ar", "وائل")
        page.fill("#family_name_ar", "الدرويش")
        page.fill("#mother_name_ar", "هدى")
    page.fill("#given_name_lat", "Samer")
    page.fill("#family_name_lat", latin_family)
    page.fill("#birth_date", "٠٣/٠٤/١٩٨٨")
    # the look-alike count is shown while typing, before the registration is saved (and
    # waiting for it keeps the test's shared in-memory database to one writer at a time)
    page.wait_for_selector(f"#candidates[data-duplicates='{1 if known else 0}']")
    if known:
        desk.shot("2-precheck")
    page.select_option("#affiliation", "army")
    page.select_option("#document_type", "military_id")
    page.fill("#document_number", "M-55120")
    page.select_option("#family-0-relation", "spouse")
    page.fill("#family-0-name_ar", "ريم")
    page.fill("#family-0-birth_year", "1990")
    page.fill("#item-0-weapon_type", "rifle")
    page.fill("#item-0-calibre", "7.62x39")
    page.fill("#item-0-serial_number", "AK771204")
    page.click("button[data-add=family]")  # one more row, added by the page's script
    assert page.locator("[data-row=family]").count() == 4
    page.check("#pledge_signed")
    page.click("#register")
    page.wait_for_load_state()
    if page.locator("#form-error").count():
        desk.shot("register-error")
        raise AssertionError(page.inner_text("#form-error"))
    page.wait_for_selector("#serial")
    return page.inner_text("#serial").strip()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_case_from_intake_to_a_verified_card(lang, browser, live_server, personas, open_program):
    secrets = {
        name: security.totp_enrol(personas[name])
        for name in ("decider", "decider2", "card_officer", "manager")
    }
    base = live_server.url
    desks: list[Desk] = []

    def desk(name: str) -> Desk:
        made = Desk(browser, base, lang, personas[name], secrets.get(name, ""))
        desks.append(made)
        return made

    clerk = desk("clerk")
    serial = _register(clerk, arabic=True, latin_family="al-Darwish")
    clerk.shot("1-receipt")
    # the same desk is warned of the second registration (another station would not be)
    twin_serial = _register(clerk, arabic=False, latin_family="Al Darwish", known=True)
    desks[-1].shot("2-receipt-of-a-look-alike")  # says nothing of the review to come

    vetter = desk("vetter")
    vetter.go("/queue/")
    vetter.page.click(f"#in-review a:has-text('{twin_serial}')")
    vetter.page.wait_for_selector("table.evidence")
    assert "Samer" in vetter.page.inner_text("#candidates")
    vetter.shot("3-candidate")
    vetter.page.fill("#candidates input[name=reason]", "mother's name differs")
    vetter.page.click("#candidates button[value=clear]")
    vetter.page.wait_for_selector("#done")

    decider = desk("decider")
    decider.go(f"/cases/{serial}/")
    decider.page.select_option("#outcome-choice", "denial")
    decider.page.fill("#decision-reason", "pledge doubtful")
    decider.page.click("#decide button[type=submit]")
    decider.page.wait_for_selector("#second")
    decider.shot("4-awaiting-second")
    second = desk("decider2")
    second.go(f"/cases/{serial}/")
    second.page.fill("#second-reason", "the pledge is signed and witnessed")
    second.page.click("#second button[value=reject]")
    second.page.wait_for_selector("#done")
    decider.go(f"/cases/{serial}/")
    decider.page.select_option("#outcome-choice", "amnesty")
    decider.page.click("#decide button[type=submit]")
    decider.page.wait_for_selector("#outcome")

    cards = desk("card_officer")
    cards.go(f"/cases/{serial}/")
    cards.page.click("#issue-card")
    cards.page.wait_for_selector("a.print-card")
    cards.shot("5-card")
    pdf_url = base + (cards.page.get_attribute("a.print-card", "href") or "")
    pdf = cards.context.request.get(pdf_url)
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    checkpoint = desk("checkpoint")
    checkpoint.go("/verify/")
    checkpoint.page.wait_for_selector("#verifier[data-ready=true]")
    card = Case.objects.get(intake__serial=serial).cards.get()
    if shutil.which("pdftoppm"):  # scan the printed card, as a checkpoint would
        folder = SCREENSHOTS / f"print-{lang}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "card.pdf").write_bytes(pdf.body())
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", str(folder / "card.pdf"), str(folder / "card")],
            check=True,
        )
        checkpoint.page.set_input_files("#card-image", str(folder / "card-1.png"))
    else:
        checkpoint.page.fill("#card-text", card.text)
        checkpoint.page.click("#verify-button")
    checkpoint.page.wait_for_selector("#result[data-verdict]")
    assert checkpoint.page.get_attribute("#result", "data-verdict") == "VALID"
    assert "Samer" in checkpoint.page.inner_text("#result")
    checkpoint.shot("6-verified")

    manager = desk("manager")
    manager.go("/dashboard/?program=demo-open-defectors")
    manager.page.wait_for_selector("#summary svg")
    assert "Samer" not in manager.page.inner_text("main")
    manager.shot("7-dashboard")
    for made in desks:
        made.close()
