"""Boarding with no network (issue 19, item 4): the offline vehicle door on a phone in
Arabic, behind a proxy this test starts (tests/web/cut_proxy.py) between the browser and
the live server. The door loads its vehicle's pack and the trust lists once, then the
proxy cuts the connection mid-convoy: cards are still verified on the phone, boardings
queue on it (a reload with no network keeps them), answers are dropped after the server
recorded the event, connections are reset; once the connection is back every boarding
is on the server exactly once, none lost, the no-show too. Any console error other than
the cut connection's fails the test; no name is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sulh.cards.services import card_issue, status_list_forget
from sulh.departures import services
from sulh.departures.models import Traveller, TravellerEvent
from sulh.keys.services import root_online_create
from sulh.web import departure_views
from tests.departures.conftest import NAMES, SAFE_PASSAGE, WHEN, convoy, departure_case, family_ids
from tests.web.conftest import BROWSER_TEST
from tests.web.cut_proxy import CutProxy
from tests.web.test_staff_browser import Desk

__all__ = ["convoy", "departure_case"]
PHONE = {"width": 360, "height": 740}
pytestmark = BROWSER_TEST


def door_convoy(personas: dict[str, Any], departure_case: Any, convoy: Any, *, families: int):
    """``families`` orders of four (the holder, a spouse, two children) and one of a holder
    alone, all on vehicle 1; each holder with a card."""
    made = convoy(vehicles=(50,))
    vehicle = made.vehicles.get()
    cards = {}
    for n in range(families + 1):
        members = () if n == families else (("spouse", "female", 1985), ("child", "male", 2008),
                                            ("child", "female", 2012))  # fmt: skip
        case = departure_case(members=members)
        card = card_issue(case=case, user=personas["card_officer"])
        order = services.order_create(
            case=case, user=personas["coordinator"], family_member_ids=family_ids(case)
        )
        services.order_place(order=order, vehicle=vehicle, user=personas["coordinator"])
        cards[order.travellers.get(family_member__isnull=True).pk] = card.text
    return made, vehicle, cards


def _settle(page: Any, *, pending: int = 0, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"#door-device[data-pending='{pending}']", state="attached",
                           timeout=timeout)  # fmt: skip


def _scan(page: Any, text: str, key: int) -> None:
    page.fill("#code", text)
    page.click("#find")
    page.wait_for_selector(f"#found[data-traveller='{key}']")
    page.click("#board")
    page.wait_for_selector("#door-device[data-scan=boarded]", state="attached")


def test_a_cut_mid_convoy_loses_and_doubles_nothing(
    browser, live_server, personas, departure_case, convoy, monkeypatch
):
    at = WHEN[SAFE_PASSAGE] + dt.timedelta(hours=3)
    monkeypatch.setattr(departure_views, "_now", lambda: at)
    root_online_create()
    status_list_forget()
    made, vehicle, cards = door_convoy(personas, departure_case, convoy, families=5)
    travellers = list(Traveller.objects.filter(vehicle=vehicle).order_by("pk"))
    alone = max(cards)  # the holder travelling alone: a no-show
    boarding = [t for t in travellers if t.pk != alone]
    assert len(boarding) == 20

    proxy = CutProxy(upstream_port=int(live_server.url.rsplit(":", 1)[1])).start()
    try:
        phone = Desk(browser, proxy.url, "ar", personas["coordinator"], viewport=PHONE)
        page = phone.page
        phone.go(f"/door/{made.pk}/{vehicle.number}/")
        page.wait_for_selector("#door-device[data-offline=ready]", state="attached")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.inner_text("#lists-state")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width

        for n, traveller in enumerate(boarding):
            if n == 3:
                proxy.set("down")  # the network goes: nothing reaches the site
            if n == 6:
                # the phone restarts the page with no network: the page, the pack, the
                # lists and the queue are all on the phone
                page.reload()
                page.wait_for_selector("#door-device[data-ready=true]", state="attached")
                assert page.get_attribute("#door-device", "data-pending") == "3"
            if n == 9:
                proxy.set("drop_replies")  # the site records, the phone never hears
            if n == 13:
                proxy.set("up")
            if n == 15:
                proxy.set("down")
            text = cards.get(traveller.pk) or str(traveller.pk)
            if n % 2 and traveller.pk not in cards:
                text = str(traveller.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
            _scan(page, text, traveller.pk)
            if n == 2:
                _settle(page)  # the first three are on the site before the cut
            assert not any(name in page.content() for name in NAMES)
        # a second scan of someone boarded is refused at the door, nothing queued
        page.fill("#code", cards[boarding[0].pk])
        page.click("#find")
        page.wait_for_selector("#found")
        page.click("#board")
        page.wait_for_selector("#door-device[data-scan=refused]", state="attached")
        assert page.inner_text("#items-error")
        # a code that does not verify, and a key not on this vehicle: refused on the phone
        for bad in ("SULH1:6BFOXN*TS0BI$ZDFRH", "99999"):
            page.evaluate("() => { document.getElementById('door-device').dataset.scan = ''; }")
            page.fill("#code", bad)
            page.click("#find")
            page.wait_for_selector("#door-device[data-scan=refused]", state="attached")
            assert page.inner_text("#scan-error") and not page.is_visible("#found")
        # the one who did not come
        page.click("#waiting summary")
        page.click(f"#no-show-{alone}")
        assert int(page.get_attribute("#door-device", "data-pending")) > 0
        assert page.get_attribute("#door-device", "data-net") == "down"
        assert page.inner_text("#net").startswith("لا توجد شبكة")
        proxy.set("up")
        _settle(page)
        assert page.get_attribute("#door-device", "data-sent") == "21"
        assert page.get_attribute("#door-device", "data-refused") == "0"
        assert page.get_attribute("#door-device", "data-aboard") == "20"
        assert page.inner_text("#net") == "متصل: أُرسلت قائمة الانتظار."
        phone.shot("door-offline-sent")
        # the cut connection's failed requests are in the console: nothing else may be
        phone.errors[:] = [
            e for e in phone.errors if "ERR_" not in e and "Failed to fetch" not in e
        ]
        phone.close()
    finally:
        proxy.stop()

    boarded = TravellerEvent.objects.filter(event="boarded")
    assert boarded.count() == 20
    assert sorted(boarded.values_list("traveller_id", flat=True)) == [t.pk for t in boarding]
    assert TravellerEvent.objects.filter(event="no_show").count() == 1
    assert proxy.counts.replies_dropped > 0  # some events were recorded, then sent again
    for traveller in travellers:
        traveller.refresh_from_db()
        assert traveller.status == ("no_show" if traveller.pk == alone else "boarded")
