"""The departures pages in the system's Chromium, in Arabic on a phone's width (360 px): the
coordinator makes a convoy, adds a vehicle and places an order; at the vehicle door the
boarding screen finds the holder by their card's code (verified) and records the boarding
(a resubmit counts once), finds a family member by key and refuses the heavy weapon they
declare; the status board shows the boarding. Any console error fails the test; no name is shown.

Screenshots go to tests/screenshots/departures-<step>.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sulh.cards.services import card_issue, status_list_forget
from sulh.departures import services
from sulh.departures.models import Convoy, TravellerEvent
from sulh.keys.services import root_online_create
from sulh.web import departure_views
from tests.conftest import PASSWORD
from tests.departures.conftest import NAMES, SAFE_PASSAGE, WHEN, departure_case, family_ids
from tests.web.conftest import BROWSER_TEST

__all__ = ["departure_case"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PHONE = {"width": 360, "height": 740}

pytestmark = BROWSER_TEST


class Phone:
    """One member of staff on a phone-sized browser, signed in, in ``lang``."""

    def __init__(self, browser: Any, base: str, user: Any, lang: str = "ar") -> None:
        self.base = base
        self.context = browser.new_context(viewport=PHONE, locale="ar-SY", is_mobile=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base}/login/")
        if self.page.get_attribute("html", "lang") != lang:
            self.page.click(f"button[name=language][value={lang}]")
        self.page.wait_for_selector(f"html[lang={lang}]", state="attached")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_selector(".who")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def shot(self, step: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"departures-{step}.png"), full_page=True)

    def fits(self) -> None:
        """Nothing on the page is wider than the phone: no sideways scrolling."""
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width

    def refused(self) -> None:
        """The form refused is answered 422, which the browser's console notes: nothing
        else may be there."""
        self.errors[:] = [e for e in self.errors if "status of 422" not in e]

    def close(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.context.close()
        assert self.errors == [], f"console errors {self.errors}"


def test_boarding_on_a_phone_in_arabic_end_to_end(
    browser, live_server, personas, departure_case, monkeypatch
):
    at = WHEN[SAFE_PASSAGE] + dt.timedelta(hours=3)
    monkeypatch.setattr(departure_views, "_now", lambda: at)
    root_online_create()
    status_list_forget()
    case = departure_case()
    card = card_issue(case=case, user=personas["card_officer"])
    order = services.order_create(
        case=case, user=personas["coordinator"], family_member_ids=family_ids(case)
    )
    phone = Phone(browser, live_server.url, personas["coordinator"])
    page = phone.page
    assert page.get_attribute("html", "dir") == "rtl"

    # the convoy
    phone.go("/convoys/new/")
    page.select_option("#program", SAFE_PASSAGE)
    page.select_option("#destination", "western-rural-aleppo")
    page.fill("#departs_from", "2016-12-16T12:00")
    page.fill("#departs_until", "2016-12-16T16:00")
    page.fill("#assembly_point", "دوار الراموسة")
    page.fill("#crossing", "طريق الراموسة")
    page.fill("#escort", "الهلال الأحمر")
    page.click("#convoy-submit")
    page.wait_for_selector("#vehicle-form")
    convoy = Convoy.objects.get()

    # a vehicle, then a refusal beside its box (no seats), then the order placed
    page.fill("#plate", "حلب 1234")
    page.fill("#seats", "٠")  # Arabic-Indic zero: refused, naming the seats
    page.click("#vehicle-submit")
    page.wait_for_selector("#seats-error")
    assert not convoy.vehicles.exists()
    phone.refused()
    page.fill("#plate", "حلب 1234")
    page.fill("#seats", "٥٠")
    page.click("#vehicle-submit")
    page.wait_for_selector("#vehicle-1")
    page.click(f"#place-submit-{order.pk}")
    page.wait_for_selector("#done")
    assert page.inner_text("#vehicle-1 .taken") == str(order.travellers.count())
    phone.shot("builder")

    # at the door: pick the convoy and the vehicle, find the traveller, board them
    phone.go("/boarding/")
    page.click(f"#pick-submit-{convoy.pk}")
    page.wait_for_selector("#scan-form")
    phone.fits()
    # the holder's card, scanned by a reader that types (or pasted): verified, then found
    person = order.travellers.get(family_member__isnull=True)
    page.fill("#code", card.text)
    page.click("#find")
    page.wait_for_selector("#found")
    assert page.get_attribute("#found", "data-traveller") == str(person.pk)
    phone.fits()
    phone.shot("door-found")
    html = page.content()
    assert not any(name in html for name in NAMES)
    page.click("#board")
    page.wait_for_selector("#done")
    assert page.get_attribute("#door-counts", "data-boarded") == "1"
    phone.shot("door-boarded")
    # the browser sends the same form again (a retried submit): counted once
    page.go_back()
    page.wait_for_selector("#board")
    page.click("#board")
    page.wait_for_selector("#done")
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    assert page.get_attribute("#door-counts", "data-boarded") == "1"

    # a heavy weapon declared at the door: refused beside the items, nothing recorded
    spouse = order.travellers.filter(family_member__isnull=False).order_by("pk").first()
    page.fill("#code", str(spouse.pk))
    page.click("#find")
    page.wait_for_selector("#found")
    page.check("#items-no")
    page.select_option("#door-kind", "weapon")
    page.fill("#door-tag", "T-77")
    page.check("#door-heavy")
    page.click("#board")
    page.wait_for_selector("#items-error")
    assert TravellerEvent.objects.filter(event="boarded").count() == 1
    phone.refused()

    # the status board shows the boarding on vehicle 1
    page.click("#to-board")
    page.wait_for_selector("#reconciliation")
    assert page.get_attribute("#counts-1", "data-boarded") == "1"
    assert page.get_attribute("#counts-total", "data-boarded") == "1"
    phone.shot("board")
    phone.close()
