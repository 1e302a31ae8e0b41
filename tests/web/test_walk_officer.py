"""Issue #22, the officers' pages walked in the system's Chromium, Arabic first: reasons
refused when blank, beside their box (item 3); what a decision rests on (item 6); the
vetting queue (item 7); the card officer's list, batch printing and card actions (item 8).

Cases are registered through the services (the intake page has its own walk); the pages
are then used as an officer would. Screenshots: tests/screenshots/staff-<lang>-walk-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from typing import Any

import pytest

from sulh.accounts import security
from sulh.audit.models import AuditEntry
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.lists import list_import
from sulh.cases.models import Case, Decision, DecisionStatus
from sulh.cases.review import candidate_resolve
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake
from tests.matching.test_online import _list_file
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk

pytestmark = BROWSER_TEST
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PHONE = {"width": 390, "height": 844}
SAMER = {
    "given_name_ar": "سامر", "father_name_ar": "وائل", "family_name_ar": "الدرويش",
    "mother_name_ar": "هدى", "given_name_lat": "Samer", "family_name_lat": "al-Darwish",
    "birth_date": "1988-04-12", "national_id": "40112233445",
}  # fmt: skip


def _case(personas: dict[str, Any], **overrides: Any) -> Case:
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN, **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def _desk(browser: Any, live_server: Any, personas: dict[str, Any], name: str, lang: str) -> Desk:
    secret = security.totp_enrol(personas[name]) if "decider" in name or "card" in name else ""
    return Desk(browser, live_server.url, lang, personas[name], secret)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_blank_reason_is_refused_beside_its_box(lang, browser, live_server, personas):
    """Item 3: the second officer's confirmation of a denial with only spaces for reasons
    is refused, in the page's language, beside the reason box; the denial still waits."""
    case = _case(personas, origin="local")
    serial = case.intake.serial
    decision = case_services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason="pledge doubtful"
    )
    second = _desk(browser, live_server, personas, "decider2", lang)
    second.go(f"/cases/{serial}/")
    second.page.fill("#second-reason", "   ")
    second.page.click("#second button[value=confirm]")
    second.page.wait_for_selector("#second #second-reason-error")
    said = second.page.inner_text("#second-reason-error")
    assert said == ("السبب: يجب ذكر السبب" if lang == "ar" else "Reason: a reason is required")
    assert second.page.locator("#action-error").count() == 0  # beside the box, not on top
    second.shot("walk-3-blank-reason")
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.AWAITING_SECOND

    # the first officer's own reasons, and a vetting officer's, are refused the same way
    case_services.decision_reject(decision=decision, user=personas["decider2"], reason="redo")
    second.close()
    first = _desk(browser, live_server, personas, "decider", lang)
    first.go(f"/cases/{serial}/")
    first.page.select_option("#outcome-choice", "referral")
    first.page.fill("#decision-reason", " \n ")
    first.page.click("#decide button[type=submit]")
    first.page.wait_for_selector("#decide #decision-reason-error")
    assert not Decision.objects.filter(case=case, status=DecisionStatus.AWAITING_SECOND).exists()
    first.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_deciding_officer_sees_what_a_decision_rests_on(lang, browser, live_server, personas):
    """Item 6: weapons, family, document, pledge, category, origin, age and the vetting
    officer's resolution with its reason, with labels; the clerk's page gains none of it."""
    items = [
        {
            "kind": "weapon",
            "weapon_type": "rifle",
            "calibre": "7.62x39",
            "serial_number": "AK-7791",
        },
        {"kind": "id_document", "document_type": "military_id", "document_number": "M-40221"},
    ]
    family = [{"relation": "spouse", "name_ar": "ريم", "sex": "female", "birth_year": 1990}]
    _case(personas, origin="non_local", person=SAMER)
    twin = _case(personas, origin="non_local", items=items, family=family, person=SAMER)
    candidate = twin.candidates.get()
    candidate_resolve(
        candidate=candidate, user=personas["vetter"], decision="clear", reason="mother differs"
    )
    serial = twin.intake.serial
    decider = _desk(browser, live_server, personas, "decider", lang)
    decider.go(f"/cases/{serial}/")
    grounds = decider.page.inner_text("#grounds")
    ar = lang == "ar"
    assert ("مقاتل" if ar else "combatant") in decider.page.inner_text("#g-category").lower()
    assert ("من خارج المنطقة" if ar else "not local") in decider.page.inner_text("#g-origin")
    assert "AK-7791" in decider.page.inner_text("#g-weapons")
    assert ("زوج" if ar else "spouse") in decider.page.inner_text("#g-family")
    assert "ريم" in decider.page.inner_text("#g-family")
    assert "M-40221" in decider.page.inner_text("#g-document")
    assert ("موقّع" if ar else "signed") in decider.page.inner_text("#g-pledge")
    assert "mother differs" in decider.page.inner_text("#candidates .resolution")
    assert "amnesty" not in decider.page.inner_text("#decide select#outcome-choice")
    assert grounds
    decider.shot("walk-6-grounds")
    decider.close()

    clerk = Desk(browser, live_server.url, lang, personas["clerk"])
    clerk.go(f"/cases/{serial}/")
    clerk.page.wait_for_selector("#state")
    assert clerk.page.locator("#grounds, #candidates, .resolution").count() == 0
    assert "mother differs" not in clerk.page.inner_text("main")
    clerk.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_card_officer_issues_prints_and_revokes(lang, browser, live_server, personas):
    """Item 8: a counted list of decided cases awaiting a card; several issued at once and
    printed as one PDF (each printing audited); only the actions a card's state allows,
    each with its own reason box; a revocation asks to be confirmed; a case whose only card
    is revoked says so."""
    granted = [_case(personas, origin="local") for _ in range(3)]
    for case in granted:
        case_services.decision_record(
            case=case, user=personas["decider"], outcome="amnesty", reason="local, armed"
        )
    ar = lang == "ar"
    officer = _desk(browser, live_server, personas, "card_officer", lang)
    page = officer.page
    page.set_viewport_size(PHONE)
    page.click("#nav-cards")
    page.wait_for_selector("#awaiting-card")
    assert page.inner_text("#awaiting-count") == "(3)"
    officer.shot("walk-8-awaiting")
    first, second = (case.intake.serial for case in granted[:2])
    page.check(f"#issue-{first}")
    page.check(f"#issue-{second}")
    page.click("#issue-selected")
    page.wait_for_selector("#done")
    assert page.inner_text("#done") == ("صدرت بطاقتان." if ar else "2 cards issued.")
    assert page.inner_text("#awaiting-count") == "(1)"
    assert page.locator("#to-print input[name=card_id]:checked").count() == 2  # the new ones
    printed: list[bytes] = []

    def keep(route: Any) -> None:  # what the server sent, before the browser's PDF viewer
        response = route.fetch()
        printed.append(response.body())
        route.fulfill(response=response)

    officer.context.route("**/cards/print/", keep)
    with officer.context.expect_page() as opened:  # the PDF opens in a new tab
        page.click("#print-selected")
    opened.value.wait_for_load_state()
    assert printed and printed[0].startswith(b"%PDF")
    if shutil.which("pdfinfo"):  # a page per card
        info = subprocess.run(["pdfinfo", "-"], input=printed[0], capture_output=True, check=True)
        assert re.search(rb"^Pages:\s+2$", info.stdout, re.M), info.stdout
    assert AuditEntry.objects.filter(action="card_printed").count() == 2

    card = Case.objects.get(intake__serial=first).cards.get()
    officer.go(f"/cases/{first}/")
    forms = page.locator("#cards .card-actions form")
    assert sorted(forms.evaluate_all("fs => fs.map(f => f.dataset.action)")) == [
        "renew", "revoked", "suspended",
    ]  # fmt: skip
    assert page.locator(f"#cards input#card-revoked-{card.card_id}").count() == 1
    page.fill(f"#card-revoked-{card.card_id}", "card reported stolen")
    page.click("form[data-action=revoked] button[type=submit]")  # not confirmed yet
    card.refresh_from_db()
    assert card.state == "valid"
    page.check(f"#card-revoked-{card.card_id}-confirm")
    page.click("form[data-action=revoked] button[type=submit]")
    page.wait_for_selector("#done")
    card.refresh_from_db()
    assert card.state == "revoked"
    state = page.inner_text("#state")
    assert state == ("البطاقة ملغاة: لا بطاقة سارية" if ar else "Card revoked: no card in force")
    assert forms.evaluate_all("fs => fs.map(f => f.dataset.action)") == ["valid"]
    officer.shot("walk-8-revoked")
    officer.close()


MOTHER = {"ar": "اسم الأم", "en": "Mother's name"}
ONE_SIDE = {"ar": "مسجَّل في جهة واحدة فقط", "en": "recorded on one side only"}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_vetting_queue_and_its_evidence(lang, browser, live_server, personas, tmp_path):
    """Item 7: the queue lists name, score, match kind, program, station and date, counted,
    filtered and paged; the evidence has labels and words; a list match names its list and
    the entry's aliases."""
    list_import(path=_list_file(tmp_path), name="wanted-2016", user=personas["vetter"])
    listed = _case(personas, person=SAMER)
    others = [_case(personas, person={**SAMER, "mother_name_ar": ""}) for _ in range(2)]
    ar = lang == "ar"
    vetter = _desk(browser, live_server, personas, "vetter", lang)
    page = vetter.page
    page.set_viewport_size(PHONE)
    vetter.go("/queue/")
    assert page.inner_text("#in-review-count") == "(3)"
    first_row = page.locator("#in-review tbody tr").first
    assert ("سامر" if ar else "Samer") in first_row.inner_text()
    assert ("على قائمة" if ar else "on a list") in page.inner_text("#in-review")
    vetter.shot("walk-7-queue")
    page.select_option("#f-kind", "list")
    page.select_option("#f-sort", "score")
    page.click("#apply-filters")
    page.wait_for_url("**kind=list**")
    rows = page.locator("#in-review tbody tr")
    serials = rows.evaluate_all("rs => rs.map(r => r.querySelector('a').textContent)")
    assert listed.intake.serial in serials and len(serials) == rows.count()
    kinds = page.locator("#in-review td.kind").all_inner_texts()
    assert all(("على قائمة" if ar else "on a list") in k for k in kinds)

    vetter.go(f"/cases/{listed.intake.serial}/")
    text = page.inner_text("#candidates")
    assert "wanted-2016" in text and "Abu Wael" in text and "W-17" in text
    assert "given_name" not in text and "same (" not in text
    assert ("الاسم" if ar else "Given name") in text
    vetter.shot("walk-7-evidence")
    vetter.go(f"/cases/{others[0].intake.serial}/")  # a mother's name on one side only
    mother = page.locator("#candidates tr", has=page.locator("th", has_text=MOTHER[lang]))
    said = mother.all_inner_texts()
    assert any("هدى" in row for row in said)
    assert all(("هدى" in row) == (ONE_SIDE[lang] in row) for row in said)  # else neither side
    assert others
    vetter.close()
