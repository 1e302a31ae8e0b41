"""Issue 22, what a second walk through the staff pages still found, in the system's
Chromium, Arabic first: the case history names an event once, says who screened (the
system), and points its arrows the way the page reads (1); numbers with decimals in one
style, a point (2); dates in match evidence day-first (3); the Arabic comma in Arabic
sentences (4); a family member's relation said once in the grounds (5); the card
officer's reasons for a new card in plain words (6); the receipt's serial on one line at
phone width and in print (7); child protection's queue with overdue hand-overs first (8).

Cases are registered through the services, as the other walks do; the pages are then read
as each role reads them. Screenshots: tests/screenshots/staff-<lang>-walk3-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import translation

from sulh.accounts import security
from sulh.cards import services as card_services
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.lists import list_import
from sulh.cases.models import Case
from sulh.cases.review import candidate_resolve
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from sulh.web.templatetags.sulh_labels import code_label
from tests.conftest import make_intake
from tests.matching.test_online import _list_file
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk
from tests.web.test_walk_officer import PHONE, SAMER, WHEN

pytestmark = BROWSER_TEST
FAMILY = [
    {"relation": "spouse", "name_ar": "ريم", "sex": "female", "birth_year": 1990},
    {"relation": "child", "name_ar": "يزن", "sex": "male", "birth_year": 2009},
    {"relation": "sibling", "name_ar": "لمى", "sex": "female", "birth_year": 2004},
]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _case(personas: dict[str, Any], *, at: dt.datetime = WHEN, **overrides: Any) -> Case:
    payload = make_intake("aleppo-2016-amnesty", submitted_at=at, **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=at).case


def _desk(browser: Any, live_server: Any, personas: dict[str, Any], name: str, lang: str) -> Desk:
    secret = security.totp_enrol(personas[name]) if "decider" in name or "card" in name else ""
    return Desk(browser, live_server.url, lang, personas[name], secret)


def _said(lang: str, vocabulary: str, code: str) -> str:
    with translation.override(lang):
        return code_label(vocabulary, code)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_case_history_names_each_event_once_and_who_screened(
    lang, browser, live_server, personas
):
    """Item 1: "Registered", not "Registered → Registered"; the screening at registration
    is the system's, not the clerk's; a change of state points the way the page reads."""
    alone = _case(personas)
    _case(personas, person=SAMER)
    twin = _case(personas, person=SAMER)
    ar = lang == "ar"
    vetter = _desk(browser, live_server, personas, "vetter", lang)
    page = vetter.page
    page.set_viewport_size(PHONE)
    vetter.go(f"/cases/{alone.intake.serial}/")
    lines = page.locator("ol.events li").all_inner_texts()
    registered, screened = lines[0], lines[1]
    for line, event in ((registered, "registered"), (screened, "screened")):
        assert line.count(_said(lang, "event", event)) == 1, line
        assert "→" not in line and "←" not in line, line
    assert personas["clerk"].username in registered
    assert personas["clerk"].username not in screened
    assert ("النظام" if ar else "the system") in screened

    vetter.go(f"/cases/{twin.intake.serial}/")
    opened = page.locator("ol.events li").nth(1).inner_text()
    assert _said(lang, "event", "review_opened") in opened
    assert _said(lang, "state", "in_review") in opened
    assert ("←" if ar else "→") in opened and ("→" if ar else "←") not in opened
    assert personas["clerk"].username not in opened
    vetter.shot("walk3-1-history")
    vetter.close()


def test_numbers_with_decimals_take_a_point_in_arabic(browser, live_server, personas):
    """Item 2: a match's score on the case page and in the queue, and a weapon's calibre,
    all with a point, as the program's rule has it (Western digits everywhere)."""
    _case(personas, person=SAMER)
    twin = _case(personas, person=SAMER)
    vetter = _desk(browser, live_server, personas, "vetter", "ar")
    page = vetter.page
    vetter.go(f"/cases/{twin.intake.serial}/")
    heading = page.inner_text("#candidates article.candidate h3")
    assert re.search(r"\d\.\d", heading), heading
    assert not re.search(r"\d[,٫،]\d", heading), heading
    assert "7.62x39" in page.inner_text("#g-weapons")
    vetter.go("/queue/")
    scores = page.locator("#in-review td.score").all_inner_texts()
    assert scores and all(re.fullmatch(r"\d+\.\d", s.strip()) for s in scores), scores
    vetter.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_match_evidence_gives_dates_day_first(lang, browser, live_server, personas):
    """Item 3: the birth dates compared in a look-alike's evidence read 12/04/1988, as
    every other date on the pages does, never 1988-04-12."""
    _case(personas, person=SAMER)
    twin = _case(personas, person=SAMER)
    vetter = _desk(browser, live_server, personas, "vetter", lang)
    page = vetter.page
    vetter.go(f"/cases/{twin.intake.serial}/")
    evidence = page.inner_text("#candidates table.evidence")
    assert "12/04/1988" in evidence
    assert not ISO_DAY.search(evidence), evidence
    vetter.close()


def test_arabic_sentences_use_the_arabic_comma(browser, live_server, personas, tmp_path):
    """Item 4: lists joined inside Arabic text (the evidence, the grounds, the duplicate's
    note) use "،", not the English comma."""
    list_import(path=_list_file(tmp_path), name="wanted-2016", user=personas["vetter"])
    _case(personas, person=SAMER)
    twin = _case(personas, person={**SAMER, "birth_date": "1988-12-04"}, family=FAMILY)
    vetter = _desk(browser, live_server, personas, "vetter", "ar")
    page = vetter.page
    vetter.go(f"/cases/{twin.intake.serial}/")
    text = page.inner_text("main")
    assert "،" in text
    assert "," not in text, [line for line in text.splitlines() if "," in line]
    # the duplicate's note: linked, this registration closed as the duplicate of the first
    [listed] = [c for c in twin.candidates.all() if c.kind == "list"]
    candidate_resolve(candidate=listed, user=personas["vetter"], decision="clear", reason="لا")
    [candidate] = [c for c in twin.candidates.all() if c.kind == "duplicate"]
    vetter.go(f"/cases/{twin.intake.serial}/")
    page.fill(f"#reason-{candidate.pk}", "الأب والأم نفسهما")
    page.select_option(f"#survivor-{candidate.pk}", "other")
    page.click(f"#candidates form[action*='/{candidate.pk}/'] button[value=link]")
    page.wait_for_selector("#done, .error[role=alert]")
    assert page.locator("#done").count(), page.inner_text("main")[:600]
    text = page.inner_text("main")
    assert "،" in page.inner_text("#duplicate-of")
    assert "," not in text, [line for line in text.splitlines() if "," in line]
    vetter.shot("walk3-4-comma")
    vetter.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_grounds_name_a_family_members_relation_once(lang, browser, live_server, personas):
    """Item 5: "child: Yazan · 2009", not "child: Yazan · 2009 · child"; a sibling who is
    a minor is still marked so."""
    case = _case(personas, family=FAMILY)
    decider = _desk(browser, live_server, personas, "decider", lang)
    decider.go(f"/cases/{case.intake.serial}/")
    rows = decider.page.locator("#g-family li").all_inner_texts()
    assert len(rows) == 3
    for row, member in zip(rows, FAMILY, strict=True):
        relation = _said(lang, "relation", member["relation"])
        assert row.count(relation) == 1, row
        assert member["name_ar"] in row
    child, sibling = rows[1], rows[2]
    assert _said(lang, "relation", "child") not in sibling  # marked a minor in other words
    assert ("قاصر" if lang == "ar" else "a minor") in sibling
    assert ("قاصر" if lang == "ar" else "a minor") not in child  # a child is one already
    decider.shot("walk3-5-family")
    decider.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_new_card_is_asked_for_in_plain_words(lang, browser, live_server, personas):
    """Item 6: the card officer replaces a damaged card by choosing "the card is damaged"
    in plain words; the reason recorded says it so."""
    case = _case(personas, origin="local")
    case_services.decision_record(
        case=case, user=personas["decider"], outcome="amnesty", reason="local, armed"
    )
    card = card_services.card_issue(case=case, user=personas["card_officer"])
    ar = lang == "ar"
    officer = _desk(browser, live_server, personas, "card_officer", lang)
    page = officer.page
    page.set_viewport_size(PHONE)
    officer.go(f"/cases/{case.intake.serial}/")
    form = page.locator("form[data-action=renew]")
    button = form.locator("button[type=submit]").inner_text()
    assert ("بطاقة جديدة" if ar else "new card") in button
    choices = form.locator("select[name=reason_choice] option").all_inner_texts()
    damaged = "البطاقة تالفة أو ممزقة" if ar else "The card is damaged or torn"
    assert any(damaged in choice for choice in choices), choices
    assert any(("فُقدت" if ar else "lost") in choice for choice in choices), choices
    officer.shot("walk3-6-new-card")
    form.locator("select[name=reason_choice]").select_option("damaged")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#done")
    card.refresh_from_db()
    assert card.superseded_by_id is not None
    renewed = case.events.get(event="card_renewed")
    assert damaged in renewed.reason
    officer.close()


SERIAL_LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  const box = el.getBoundingClientRect(), card = el.closest('article').getBoundingClientRect();
  return {lines: tops.size, size: parseFloat(getComputedStyle(el).fontSize),
          inside: box.left >= card.left - 1 && box.right <= card.right + 1};
}"""


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_receipt_serial_stays_on_one_line_at_phone_width(lang, browser, live_server, personas):
    """Item 7: ALP1-2016-000042 never breaks inside, on the phone and on paper, on both
    copies, and stays large enough to read out."""
    case = _case(personas)
    clerk = Desk(browser, live_server.url, lang, personas["clerk"])
    page = clerk.page
    page.set_viewport_size(PHONE)
    clerk.go(f"/cases/{case.intake.serial}/receipt/")
    page.wait_for_selector("#serial")
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        for serial in page.locator(".receipt-head .big bdi").all():
            assert serial.inner_text().strip() == case.intake.serial
            shown = serial.evaluate(SERIAL_LINES)
            assert shown["lines"] == 1, (media, shown)
            assert shown["inside"] and shown["size"] >= 16, (media, shown)
        assert page.locator(".receipt-head .big bdi").count() == 2
    page.emulate_media(media="screen")
    clerk.shot("walk3-7-receipt")
    clerk.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_child_protection_sees_overdue_hand_overs_first(lang, browser, live_server, personas):
    """Item 8: without choosing an order, the children's cases in review whose hand-over
    is overdue come first; one handed over already, though registered earlier, follows."""
    boy = {**SAMER, "birth_date": "2004-03-05", "national_id": "40112230001"}
    girl = {
        "given_name_ar": "ليلى", "father_name_ar": "وائل", "family_name_ar": "النجار",
        "mother_name_ar": "هدى", "given_name_lat": "Layla", "family_name_lat": "al-Najjar",
        "birth_date": "2005-06-07", "national_id": "40112230002", "sex": "female",
    }  # fmt: skip
    early = WHEN - dt.timedelta(days=3)
    _case(personas, person=boy, at=early)
    handed = _case(personas, person=boy, at=early)
    _case(personas, person=girl)
    overdue = _case(personas, person=girl)
    assert handed.is_child and overdue.is_child and handed.state == overdue.state == "in_review"
    case_services.child_handover_record(
        case=handed, user=personas["child_protection"], agency="Child protection unit"
    )
    protection = Desk(browser, live_server.url, lang, personas["child_protection"])
    page = protection.page
    page.set_viewport_size(PHONE)
    protection.go("/queue/")
    rows = page.locator("#in-review tbody tr")
    serials = rows.evaluate_all("rs => rs.map(r => r.querySelector('a').textContent.trim())")
    assert serials == [overdue.intake.serial, handed.intake.serial], serials
    assert ("متأخر" if lang == "ar" else "overdue") in rows.first.inner_text()
    assert page.locator("#f-sort option:checked").get_attribute("value") == "overdue"
    protection.shot("walk3-8-queue")
    protection.close()
