"""Issue 22, items 1 and 2, in the system's Chromium, Arabic first: a child's registration
ends on a receipt that says the case went to child protection (not on a bare "Not Found"),
and child protection resolves the child's look-alike so the case gets past review and
hand-over; a man registered twice and linked as one person keeps one case and one card,
and both case pages say so. Screenshots go to tests/screenshots/staff-<lang>-child-*.png
and staff-<lang>-duplicate-*.png."""

from __future__ import annotations

import pytest

from sulh.accounts import security
from sulh.cases.models import Case
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk, _register

pytestmark = BROWSER_TEST
PHONE = {"width": 390, "height": 844}


def register_child(desk: Desk, *, latin_family: str) -> str:
    """The clerk registers a 14-year-old; the serial the receipt shows."""
    page = desk.page
    desk.go("/intake/")
    page.wait_for_selector("#intake")
    names = {"given_name_ar": "رامي", "father_name_ar": "نزار", "family_name_ar": "الحداد",
             "mother_name_ar": "سلمى", "given_name_lat": "Rami", "family_name_lat": latin_family}  # fmt: skip
    for field, value in names.items():
        page.fill(f"#{field}", value)
    page.fill("#birth_date", "١٢/٠٥/٢٠١٢")
    # the desk is never told of a child's look-alike (nor of any at another station)
    page.wait_for_selector("#candidates[data-duplicates='0']")
    page.check("#pledge_signed")
    page.click("#register")
    page.wait_for_load_state()
    if page.locator("#form-error").count():
        raise AssertionError(page.inner_text("#form-error"))
    page.wait_for_selector("#serial", timeout=10_000)
    return page.inner_text("#serial").strip()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_childs_registration_ends_on_a_receipt_and_child_protection_clears_the_look_alike(
    lang, browser, live_server, personas, open_program
):
    clerk = Desk(browser, live_server.url, lang, personas["clerk"])
    clerk.page.set_viewport_size(PHONE)
    first = register_child(clerk, latin_family="al-Haddad")
    note = clerk.page.inner_text("#child-note")
    assert ("حماية الطفل" in note) if lang == "ar" else ("child protection" in note)
    receipt = clerk.page.inner_text("main")
    assert "Not Found" not in receipt
    for personal in ("رامي", "Rami", "الحداد", "2012", "٢٠١٢"):
        assert personal not in receipt  # nothing of the child on the clerk's receipt
    clerk.shot("child-1-receipt")
    second = register_child(clerk, latin_family="Al Haddad")  # the same boy, again
    assert second != first

    protection = Desk(browser, live_server.url, lang, personas["child_protection"])
    protection.go("/queue/")
    protection.page.click(f"#in-review a:has-text('{second}')")
    protection.page.wait_for_selector("#candidates table.evidence")
    assert first in protection.page.inner_text("#candidates")
    protection.page.fill("#candidates input[name=reason]", "another boy: the mother differs")
    protection.shot("child-2-candidate")
    protection.page.click("#candidates button[value=clear]")
    protection.page.wait_for_selector("#done")
    assert Case.objects.get(intake__serial=second).state == "screened"  # past review
    protection.page.fill("#agency", "Child protection unit, Aleppo")
    protection.page.click("#handover button[type=submit]")
    protection.page.wait_for_selector("#done")
    assert Case.objects.get(intake__serial=second).handed_over_at is not None
    protection.shot("child-3-handed-over")
    for desk in (clerk, protection):
        desk.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_man_registered_twice_and_linked_keeps_one_case_and_one_card(
    lang, browser, live_server, personas, open_program
):
    secrets = {name: security.totp_enrol(personas[name]) for name in ("decider", "card_officer")}
    clerk = Desk(browser, live_server.url, lang, personas["clerk"])
    first = _register(clerk, arabic=True, latin_family="al-Darwish")
    decider = Desk(browser, live_server.url, lang, personas["decider"], secrets["decider"])
    decider.go(f"/cases/{first}/")
    decider.page.select_option("#outcome-choice", "amnesty")
    decider.page.fill("#decision-reason", "eligible")
    decider.page.click("#decide button[type=submit]")
    decider.page.wait_for_selector("#outcome")
    cards = Desk(browser, live_server.url, lang, personas["card_officer"], secrets["card_officer"])
    cards.go(f"/cases/{first}/")
    cards.page.click("#issue-card")
    cards.page.wait_for_selector("a.print-card")
    # he registers again later (while that look-alike is in review, the first registration
    # could not be decided or carded: one man, one card)
    twin = _register(clerk, arabic=False, latin_family="Al Darwish", known=True)

    vetter = Desk(browser, live_server.url, lang, personas["vetter"])
    vetter.page.set_viewport_size(PHONE)
    vetter.go(f"/cases/{twin}/")
    vetter.page.wait_for_selector("#candidates table.evidence")
    vetter.page.fill("#candidates input[name=reason]", "same man: same mother, same number")
    vetter.shot("duplicate-1-candidate")
    vetter.page.click("#candidates button[value=link]")
    vetter.page.wait_for_selector("#duplicate-of")
    state = vetter.page.inner_text("#state")
    assert ("مكرَّر" in state) if lang == "ar" else ("duplicate" in state)
    assert "same mother" in vetter.page.inner_text("#duplicate-of")
    vetter.shot("duplicate-2-closed")
    vetter.page.click("#survivor-link")
    vetter.page.wait_for_selector("#duplicates")
    assert twin in vetter.page.inner_text("#duplicates")
    vetter.shot("duplicate-3-survivor")

    decider.go(f"/cases/{twin}/")  # nothing to decide on the duplicate
    decider.page.wait_for_selector("#duplicate-of")
    assert decider.page.locator("#decide").count() == 0
    cards.go(f"/cases/{twin}/")
    cards.page.wait_for_selector("#duplicate-of")
    assert cards.page.locator("#issue-card").count() == 0
    cards.go(f"/cases/{first}/")
    assert cards.page.locator("a.print-card").count() == 1  # the survivor's card stands
    assert Case.objects.get(intake__serial=twin).state == "duplicate"
    for desk in (clerk, decider, cards, vetter):
        desk.close()
