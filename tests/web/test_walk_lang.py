"""The staff pages speak the page's language, at desk and phone width (issue 22, items 13,
14, 15, 11, 17): no English word or raw code in Arabic, charts that a phone can read, a
header that wraps, a receipt that says what was received and signed, one date style.

Screenshots go to tests/screenshots/staff-<lang>-walk-*.png (git-ignored).
"""

from __future__ import annotations

import re

import pytest

from sulh.accounts import security
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk, _register

PHONE = {"width": 390, "height": 844}
# a code as the software spells it (associated_person, card_issued) or an English word
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")

pytestmark = BROWSER_TEST


def _latin_words(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    return [w for w in LATIN_WORD.findall(text) if w not in allowed]


def _forget_refused_loads(desk: Desk) -> None:
    """The browser logs a 403 or 404 answer as a console error: here it is what we asked."""
    desk.errors[:] = [e for e in desk.errors if "Failed to load resource" not in e]


def _manager(browser, live_server, personas, lang: str = "ar") -> Desk:
    secret = security.totp_enrol(personas["manager"])
    return Desk(browser, live_server.url, lang, personas["manager"], secret)


def test_it_names_codes_in_arabic_and_refuses_in_arabic(
    browser, live_server, personas, open_program
):
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    clerk.go("/intake/")
    categories = clerk.page.locator("#category option").all_inner_texts()
    assert categories and not any(CODE.search(c) or LATIN_WORD.search(c) for c in categories)
    assert "شخص مرتبط بجماعة مسلحة" in categories
    serial = _register(clerk, arabic=True, latin_family="al-Darwish")
    kinds = clerk.page.locator("#person-copy .items tbody td:first-child").all_inner_texts()
    assert kinds == ["سلاح"], kinds
    clerk.go(f"/cases/{serial}/")
    history = clerk.page.inner_text("ol.events")
    assert "مسجّل" in history
    assert not CODE.search(history) and not re.search(r"\b(registered|screened)\b", history)
    # a page the role may not see: the site's page, in Arabic, without developer English
    clerk.go("/queue/")
    assert clerk.page.get_attribute("#error-page", "data-status") == "403"
    refusal = clerk.page.inner_text("main")
    assert "غير مسموح" in refusal and _latin_words(refusal) == [], refusal
    clerk.shot("walk-403")
    # a page that does not exist: styled, with the header and the language button
    response = clerk.page.goto(f"{live_server.url}/cases/NO-SUCH-SERIAL/")
    assert response is not None and response.status == 404
    assert clerk.page.locator("header.bar button[name=language]").is_visible()
    missing = clerk.page.inner_text("main")
    assert "الصفحة غير موجودة" in missing and "Not Found" not in missing
    assert _latin_words(missing) == [], missing
    clerk.shot("walk-404")
    _forget_refused_loads(clerk)
    clerk.close()

    secret = security.totp_enrol(personas["decider"])
    decider = Desk(browser, live_server.url, "ar", personas["decider"], secret)
    decider.go(f"/cases/{serial}/")
    outcomes = decider.page.locator("#outcome-choice option").all_inner_texts()
    assert outcomes == ["عفو", "خروج", "إحالة إلى التحقيق", "رفض"], outcomes
    decider.page.select_option("#outcome-choice", "amnesty")
    decider.page.click("#decide button[type=submit]")
    decider.page.wait_for_selector("#outcome")
    assert decider.page.inner_text("#outcome").strip() == "عفو"
    assert open_program.title.ar in decider.page.inner_text(".facts")
    assert "alp1" not in decider.page.inner_text(".facts")  # the station by its name
    history = decider.page.inner_text("ol.events")
    assert "اتُّخذ القرار" in history and not CODE.search(history), history
    decider.shot("walk-case-history")
    decider.close()

    manager = _manager(browser, live_server, personas)
    manager.go(f"/dashboard/?program={open_program.id}")
    backlog = manager.page.locator("#summary table th[scope=row]").all_inner_texts()
    assert backlog and not any(CODE.search(s) or LATIN_WORD.search(s) for s in backlog)
    manager.close()


def test_it_names_codes_in_english_on_english_pages(browser, live_server, personas, open_program):
    clerk = Desk(browser, live_server.url, "en", personas["clerk"])
    clerk.go("/intake/")
    categories = clerk.page.locator("#category option").all_inner_texts()
    assert "Person associated with an armed group" in categories
    clerk.go("/queue/")
    assert "Not allowed" in clerk.page.inner_text("main")
    assert "your role may not" not in clerk.page.inner_text("main")
    _forget_refused_loads(clerk)
    clerk.close()


@pytest.mark.django_db
def test_it_shows_a_server_error_in_the_sites_layout_in_arabic(rf):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("ar"):
        page = server_error(rf.get("/")).content.decode()
    assert 'dir="rtl"' in page and 'class="bar"' in page and "حدث خطأ" in page
    assert "Server Error" not in page


# the page's width, and elements reaching past the screen's edges that no scrolling box
# (a wide table that scrolls sideways on its own) holds
OVERFLOWING = """() => {
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; }
    return false; };
  const out = [...document.querySelectorAll('main *, header *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width && (r.right > innerWidth + 1 || r.left < -1) && !scrolls(e); });
  return [document.documentElement.scrollWidth,
          ...out.slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className)];
}"""


def _fits_the_phone(desk: Desk, path: str) -> None:
    """The page is no wider than the phone, and the language button is on the screen."""
    desk.go(path)
    desk.page.wait_for_load_state()
    wide = desk.page.evaluate(OVERFLOWING)
    assert wide[0] <= PHONE["width"] and wide[1:] == [], f"{path}: {wide}"
    box = desk.page.locator("header.bar button[name=language]").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_it_fits_every_staff_page_on_a_phone(browser, live_server, personas, open_program):
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    serial = _register(clerk, arabic=True, latin_family="al-Darwish")
    clerk.page.set_viewport_size(PHONE)
    for path in ("/", "/intake/", f"/cases/{serial}/receipt/", f"/cases/{serial}/", "/search/"):
        _fits_the_phone(clerk, path)
    clerk.shot("walk-phone-intake")
    clerk.page.click("header.bar button[name=language]")  # usable, not only visible
    clerk.page.wait_for_selector("html[lang=en]", state="attached")
    _fits_the_phone(clerk, "/")
    clerk.close()
    secret = security.totp_enrol(personas["decider"])
    decider = Desk(browser, live_server.url, "ar", personas["decider"], secret)
    decider.page.set_viewport_size(PHONE)
    for path in ("/", "/queue/", f"/cases/{serial}/"):
        _fits_the_phone(decider, path)
    decider.shot("walk-phone-case")
    decider.close()
    manager = _manager(browser, live_server, personas)
    manager.page.set_viewport_size(PHONE)
    for path in ("/", f"/dashboard/?program={open_program.id}"):
        _fits_the_phone(manager, path)
    manager.shot("walk-phone-dashboard")
    manager.close()


# per chart: its rendered font size, and every text or number that falls outside the chart
# or on top of its own bar
CHART_CHECK = """() => [...document.querySelectorAll('figure.chart svg')].map((svg) => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const inside = (r) => r.left >= box.left - 1 && r.right <= box.right + 1;
  const bad = [];
  for (const g of svg.querySelectorAll('g')) {
    const [label, number] = [...g.querySelectorAll('text')].map((t) => t.getBoundingClientRect());
    const bar = g.querySelector('rect').getBoundingClientRect();
    if (!inside(label) || !label.width) bad.push('label ' + g.textContent);
    if (!inside(number)) bad.push('number ' + g.textContent);
    if (bar.width && number.left < bar.right - 1 && number.right > bar.left + 1)
      bad.push('number on its bar ' + g.textContent);
  }
  const size = parseFloat(svg.querySelector('text').getAttribute('font-size')) * scale;
  return {size, bad, rows: svg.querySelectorAll('g').length};
})"""


def test_it_draws_arabic_dashboard_charts_a_phone_can_read(
    browser, live_server, personas, open_program
):
    for seed in range(7):  # enough for the outcome "pending" to pass the small-cell threshold
        _registered(personas, open_program, seed=seed)
    manager = _manager(browser, live_server, personas)
    manager.page.set_viewport_size(PHONE)
    manager.go(f"/dashboard/?program={open_program.id}")
    charts = manager.page.evaluate(CHART_CHECK)
    assert len(charts) == 3 and all(c["rows"] for c in charts), charts
    for chart in charts:
        assert chart["bad"] == [], chart
        assert chart["size"] >= 11, chart
    shown = manager.page.evaluate("() => document.querySelector('main').textContent")
    assert "hidden" not in shown and "قيد المعالجة" in shown
    manager.shot("walk-phone-charts")
    manager.close()


def _registered(personas, program, *, seed: int, **person: str) -> str:
    payload = make_intake(program.id, seed=seed, person=person or None)
    return intake_register(
        data=parse(IntakeIn, payload), clerk=personas["clerk"]
    ).case.intake.serial


def _qr_text(png: bytes) -> str:
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found[0].text if found else ""


def test_it_prints_a_receipt_that_says_what_was_received_and_signed(
    browser, live_server, personas, open_program
):
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    _register(clerk, arabic=True, latin_family="al-Darwish")
    # a look-alike of the first: its receipt says nothing of the review it goes to
    serial = _register(clerk, arabic=False, latin_family="Al Darwish", known=True)
    page = clerk.page
    page.set_viewport_size(PHONE)
    family = page.locator("#family tbody tr").all_inner_texts()
    assert len(family) == 1 and "زوج/زوجة" in family[0] and "ريم" in family[0]
    assert "1990" in family[0]
    assert "أنثى" in family[0] or "ذكر" in family[0]  # sex, and whether here with him
    assert page.locator("#family td.accompanying").inner_text() in {"نعم", "لا"}
    documents = page.inner_text("#documents")
    assert "البطاقة العسكرية" in documents and "M-55120" in documents
    assert page.inner_text("#birth-date").strip() == "03/04/1988"
    pledge = page.inner_text("#pledge")
    assert open_program.pledge.text.ar in pledge and open_program.pledge.version in pledge
    assert _qr_text(page.locator("#serial-code svg").screenshot()) == serial
    station = page.inner_text("#station-copy")
    assert "نسخة المركز" in station and serial in station
    page.emulate_media(media="print")
    assert page.locator("#station-copy").is_visible()
    assert not page.locator("header.bar").is_visible()
    clerk.shot("walk-receipt-print")
    page.emulate_media(media="screen")
    receipt = page.inner_text("main")
    for screening in ("مطابق", "قائمة", "مراجعة", "تدقيق", "match", "review", "list"):
        assert screening not in receipt, screening
    clerk.shot("walk-receipt")
    clerk.close()


LOCAL_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} بتوقيت دمشق$")
ARABIC_INDIC = re.compile("[\u0660-\u0669]")


def test_it_keeps_one_date_style_western_digits_and_figures_that_agree(
    browser, live_server, personas, open_program
):
    serial = ""
    for seed in range(6):
        serial = _registered(personas, open_program, seed=seed)
    for seed in range(10, 15):  # children: counted apart on the dashboard
        _registered(personas, open_program, seed=seed, birth_date="2014-05-01")
    clerk = Desk(browser, live_server.url, "ar", personas["clerk"])
    times = []
    for path in (f"/cases/{serial}/receipt/", f"/cases/{serial}/", "/intake/", "/"):
        clerk.go(path)
        assert not ARABIC_INDIC.search(clerk.page.inner_text("body")), path
    clerk.go(f"/cases/{serial}/receipt/")
    times.append(clerk.page.inner_text("#registered-at"))
    clerk.go(f"/cases/{serial}/")
    times += clerk.page.locator("ol.events time").all_inner_texts()
    clerk.close()
    manager = _manager(browser, live_server, personas)
    manager.go("/")
    assert not ARABIC_INDIC.search(manager.page.inner_text("body"))
    row = manager.page.locator("tbody tr", has_text=open_program.title.ar)
    times.append(row.locator("td").nth(1).inner_text())
    home_registered = int(row.locator("td.registered").inner_text())
    home_children = int(row.locator("td.children").inner_text())
    assert "الأطفال" in manager.page.inner_text("#figures-note")
    manager.shot("walk-home-figures")
    manager.go(f"/dashboard/?program={open_program.id}")
    assert not ARABIC_INDIC.search(manager.page.inner_text("body"))
    times.append(manager.page.inner_text("#summary p >> nth=0").split(": ", 2)[-1])
    adults = int(manager.page.inner_text("#adults-registered"))
    children = int(manager.page.inner_text("#children-registered"))
    assert (home_registered, home_children) == (adults + children, children) == (11, 5)
    manager.shot("walk-dashboard-figures")
    manager.close()
    for shown in times:
        assert LOCAL_TIME.match(shown.strip()), times
