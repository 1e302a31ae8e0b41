"""Issue 22, what a second walk through the staff pages still found, in the system's
Chromium, Arabic first and at phone width (390 px) where it matters: a sign-in code typed
in Persian digits, look-alikes of a registration closed as a duplicate, the language switch
without JavaScript, sealed drafts at sign-out, the registrant's photo on the officer's case
page, a child's case handed over to child protection.

Screenshots go to tests/screenshots/staff-ar-walk3-*.png (git-ignored)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.utils import timezone

from bench.cards_photo_qr import portrait
from sulh.accounts import security
from sulh.audit.models import AuditEntry
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.cases.review import candidate_resolve
from sulh.cases.services import child_handover_record
from sulh.core.validation import parse
from sulh.demo.open_program import OPEN_ID
from sulh.matching.candidates import candidate_other_index
from sulh.matching.models import CandidateKind
from sulh.registry.schemas import IntakeIn
from tests.conftest import PASSWORD, make_intake
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk
from tests.web.test_walk_intake_offline import STORED, _type_a_registration

pytestmark = BROWSER_TEST
PHONE = {"width": 390, "height": 844}
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
SAMER = {
    "given_name_ar": "سامر", "father_name_ar": "وائل", "family_name_ar": "الدرويش",
    "mother_name_ar": "هدى", "given_name_lat": "Samer", "family_name_lat": "al-Darwish",
    "birth_date": "1988-04-12", "national_id": "40112233445",
}  # fmt: skip
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _case(personas: dict[str, Any], program: str = "aleppo-2016-amnesty", **kw: Any) -> Case:
    when = WHEN if program == "aleppo-2016-amnesty" else timezone.now()
    payload = make_intake(program, submitted_at=when, **kw)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when).case


def _officer(browser: Any, live_server: Any, personas: dict[str, Any], name: str) -> Desk:
    secret = security.totp_enrol(personas[name]) if "decider" in name else ""
    return Desk(browser, live_server.url, "ar", personas[name], secret)


def test_item_1_a_sign_in_code_in_persian_digits_signs_in(browser, live_server, personas):
    """Some phones' Arabic keyboards type Persian digits (U+06F0-U+06F9): the code field
    takes them and the server reads them as the code."""
    secret = security.totp_enrol(personas["decider"])
    context = browser.new_context(viewport=PHONE, locale="ar")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    if page.get_attribute("html", "lang") != "ar":
        page.click("button[name=language][value=ar]")
    page.wait_for_selector("html[lang=ar]", state="attached")
    page.fill("#id_username", personas["decider"].username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/code/")
    page.fill("#id_code", security.totp_code(secret).translate(PERSIAN))
    assert page.evaluate("() => document.getElementById('id_code').validity.valid")
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")
    context.close()


def _naming(case: Case, other: Case) -> Any:
    index = candidate_other_index(kind=CandidateKind.DUPLICATE, pk=other.pk)
    return case.candidates.get(other_index=index)


def test_item_2_look_alikes_of_a_registration_closed_as_a_duplicate_leave_the_queue(
    browser, live_server, personas
):
    """A third registration looks like two earlier ones; the second is closed as the
    first's duplicate: the third's look-alike of the (closed) second is closed with it, so
    clearing the first leaves the third nothing open and takes it off the queue."""
    first, second, third = (_case(personas, person=SAMER) for _ in range(3))
    candidate_resolve(
        candidate=_naming(second, first), user=personas["vetter"], decision="link",
        reason="the same man",
    )  # fmt: skip
    vetter = _officer(browser, live_server, personas, "vetter")
    vetter.page.set_viewport_size(PHONE)
    serial = third.intake.serial
    vetter.go(f"/cases/{serial}/")
    vetter.page.wait_for_selector("#candidates")
    statuses = vetter.page.locator("#candidates .candidate .status").all_inner_texts()
    assert "مغلق: أُغلق أحد التسجيلين لأنه مكرّر" in statuses, statuses
    forms = vetter.page.locator("#candidates form")
    assert forms.count() == 1  # only the look-alike of the registration carrying on
    forms.locator("input[name=reason]").fill("الأم مختلفة")
    forms.locator("button[value=clear]").click()
    vetter.page.wait_for_selector("#done")
    vetter.shot("walk3-2-closed-look-alike")
    vetter.go("/queue/")
    assert serial not in vetter.page.inner_text("#review")
    vetter.close()


def test_item_3_the_language_switch_keeps_the_intake_form_without_javascript(
    browser, live_server, personas, open_program
):
    context = browser.new_context(viewport=PHONE, locale="ar", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    if page.get_attribute("html", "lang") != "ar":
        page.click("button[name=language][value=ar]")
    page.fill("#id_username", personas["clerk"].username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(".who")
    page.goto(f"{live_server.url}/intake/")
    typed = {"given_name_ar": "سامر", "given_name_lat": "Samer", "birth_date": "03/04/1988",
             "family-0-name_ar": "ريم", "item-0-serial_number": "AK771204"}  # fmt: skip
    for field, value in typed.items():
        page.fill(f"#{field}", value)
    page.check("#pledge_signed")
    page.click("header button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]", state="attached")
    assert page.url.endswith("/intake/")
    for field, value in typed.items():
        assert page.input_value(f"#{field}") == value, field
    assert page.is_checked("#pledge_signed")
    assert Case.objects.count() == 0  # shown again, never saved
    page.click("header button[name=language][value=ar]")  # and back, still as typed
    page.wait_for_selector("html[lang=ar]", state="attached")
    assert page.input_value("#item-0-serial_number") == "AK771204"
    context.close()


def test_item_3_the_language_switch_keeps_the_intake_form_with_javascript(
    browser, live_server, personas, open_program
):
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    clerk.page.set_viewport_size(PHONE)
    clerk.go("/intake/")
    clerk.page.wait_for_selector("#intake")
    clerk.page.fill("#given_name_ar", "سامر")
    clerk.page.fill("#item-0-serial_number", "AK771204")
    clerk.page.click("header button[name=language][value=en]")
    clerk.page.wait_for_selector("html[lang=en]", state="attached")
    assert clerk.page.input_value("#given_name_ar") == "سامر"
    assert clerk.page.input_value("#item-0-serial_number") == "AK771204"
    assert Case.objects.count() == 0
    clerk.close()


def _drafts(page: Any) -> dict[str, Any]:
    """What the drafts' database holds, without making it (None when it does not exist)."""
    return page.evaluate(
        """async () => {
          const names = (await indexedDB.databases()).map((d) => d.name);
          return names.includes("sulh-intake") ? "present" : null;
        }"""
    )


def test_item_4_signing_out_warns_of_an_unsent_draft_and_leaves_nothing(
    browser, live_server, personas, open_program
):
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    page = clerk.page
    page.set_viewport_size(PHONE)
    clerk.go("/intake/")
    page.wait_for_selector("#intake")
    _type_a_registration(page)
    page.wait_for_selector("#intake[data-draft=saved]", state="attached")
    assert page.evaluate(STORED)["draft"]
    page.click("#logout-button")
    page.wait_for_selector("#signout-drafts", state="visible")
    assert "لم يُرسل" in page.inner_text("#signout-drafts")
    assert page.locator(".who").is_visible()  # not signed out yet: the clerk chooses
    clerk.shot("walk3-4-unsent-draft")
    # the clerk sends it: the registration page restores it, and the receipt ends it
    page.click("#signout-send")
    page.wait_for_selector("#draft-restored", state="visible")
    assert page.input_value("#item-3-serial_number") == "AK771204"
    page.click("#register")
    page.wait_for_selector("#serial")
    assert Case.objects.count() == 1
    page.click("#logout-button")
    page.wait_for_url("**/login/")
    assert _drafts(page) is None  # signed out: nothing kept, not even the key

    # a draft the clerk discards: gone with its key once signed out
    again = Desk(browser, live_server.url, "ar", personas["clerk"])
    again.go("/intake/")
    again.page.wait_for_selector("#intake")
    again.page.fill("#given_name_ar", "رامي")
    again.page.fill("#item-0-serial_number", "KB90311")
    again.page.wait_for_selector("#intake[data-draft=saved]", state="attached")
    again.page.click("#logout-button")
    again.page.wait_for_selector("#signout-drafts", state="visible")
    again.page.click("#signout-discard")
    again.page.wait_for_url("**/login/")
    assert _drafts(again.page) is None
    for desk in (clerk, again):
        desk.close()


def test_item_5_the_officers_case_page_shows_the_photo_in_the_counted_read(
    browser, live_server, personas, open_program
):
    photo = base64.b64encode(portrait()).decode("ascii")
    case = _case(personas, program=OPEN_ID, person={**SAMER, "photo": photo})
    serial = case.intake.serial
    for name in ("vetter", "decider"):
        officer = _officer(browser, live_server, personas, name)
        officer.page.set_viewport_size(PHONE)
        before = AuditEntry.objects.filter(action="case.read", obj_id=str(case.pk)).count()
        officer.go(f"/cases/{serial}/")
        officer.page.wait_for_selector("#person-photo")
        src = officer.page.get_attribute("#person-photo", "src") or ""
        assert src == f"data:image/jpeg;base64,{photo}"
        assert officer.page.get_attribute("#person-photo", "alt")
        width = officer.page.evaluate(
            "async () => { const i = document.getElementById('person-photo');"
            " await i.decode(); return i.naturalWidth; }"
        )
        assert width == 300
        reads = AuditEntry.objects.filter(action="case.read", obj_id=str(case.pk)).count()
        assert reads == before + 1  # one read of the case, the photo with its name
        officer.shot(f"walk3-5-photo-{name}")
        officer.close()
    # roles that may not see the case's personal data get neither the page nor the photo
    other_station = Desk(browser, live_server.url, "ar", personas["clerk2"])
    response = other_station.page.goto(f"{live_server.url}/cases/{serial}/")
    assert response is not None and response.status == 404
    assert other_station.page.locator("#person-photo").count() == 0
    other_station.errors.clear()  # the browser logs the 404 it was asked for
    other_station.close()


def test_item_6_a_childs_case_handed_over_says_it_is_with_child_protection(
    browser, live_server, personas
):
    child = {**SAMER, "birth_date": "2004-05-12", "national_id": "40112233999"}
    case = _case(personas, person=child)
    assert case.is_child and case.state == "screened"
    child_handover_record(case=case, user=personas["child_protection"], agency="Unit one")
    protection = Desk(browser, live_server.url, "ar", personas["child_protection"])
    protection.page.set_viewport_size(PHONE)
    protection.go(f"/cases/{case.intake.serial}/")
    state = protection.page.inner_text("#state")
    assert state == "لدى حماية الطفل", state
    history = protection.page.inner_text("ol.events")
    assert "لدى حماية الطفل" in history
    protection.shot("walk3-6-with-child-protection")
    protection.close()
