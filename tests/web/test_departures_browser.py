"""The departures pages in the system's Chromium, in Arabic on a phone's width (360 px): the
coordinator makes a convoy, adds a vehicle and places an order; at the vehicle door the
boarding screen finds the holder by their card's code (verified) and records the boarding
(a resubmit counts once), finds a family member by key and refuses the heavy weapon they
declare; the status board shows the boarding. Any console error fails the test; no name is shown.

Screenshots go to tests/screenshots/staff-ar-departures-<step>.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt

from sulh.cards.services import card_issue, status_list_forget
from sulh.departures import services
from sulh.departures.models import Convoy, TravellerEvent
from sulh.keys.services import root_online_create
from sulh.web import departure_views
from tests.departures.conftest import NAMES, SAFE_PASSAGE, WHEN, departure_case, family_ids
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk

__all__ = ["departure_case"]
PHONE = {"width": 360, "height": 740}

pytestmark = BROWSER_TEST


def _fits(desk: Desk) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = desk.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def _refused(desk: Desk) -> None:
    """The form refused is answered 422, which the browser's console notes: nothing else
    may be there."""
    desk.errors[:] = [e for e in desk.errors if "status of 422" not in e]


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
    phone = Desk(browser, live_server.url, "ar", personas["coordinator"], viewport=PHONE)
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
    _refused(phone)
    page.fill("#plate", "حلب 1234")
    page.fill("#seats", "٥٠")
    page.click("#vehicle-submit")
    page.wait_for_selector("#vehicle-1")
    page.click(f"#place-submit-{order.pk}")
    page.wait_for_selector("#done")
    assert page.inner_text("#vehicle-1 .taken") == str(order.travellers.count())
    phone.shot("departures-builder")

    # at the door: pick the convoy and the vehicle, find the traveller, board them
    phone.go("/boarding/")
    page.click(f"#pick-submit-{convoy.pk}")
    page.wait_for_selector("#scan-form")
    _fits(phone)
    # the holder's card, scanned by a reader that types (or pasted): verified, then found
    person = order.travellers.get(family_member__isnull=True)
    page.fill("#code", card.text)
    page.click("#find")
    page.wait_for_selector("#found")
    assert page.get_attribute("#found", "data-traveller") == str(person.pk)
    _fits(phone)
    phone.shot("departures-door-found")
    html = page.content()
    assert not any(name in html for name in NAMES)
    page.click("#board")
    page.wait_for_selector("#done")
    assert page.get_attribute("#door-counts", "data-boarded") == "1"
    phone.shot("departures-door-boarded")
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
    _refused(phone)

    # the status board shows the boarding on vehicle 1
    page.click("#to-board")
    page.wait_for_selector("#reconciliation")
    assert page.get_attribute("#counts-1", "data-boarded") == "1"
    assert page.get_attribute("#counts-total", "data-boarded") == "1"
    phone.shot("departures-board")
    phone.close()
