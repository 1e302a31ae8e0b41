"""Issue #22 item 12, the checkpoint offline: the status list's age against the program's
freshness rule (amber, not green), list times in the program's zone, and a damaged code
refused in plain words. Arabic first, at phone width (390 x 844)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from sulh.cards.status import StatusList
from sulh.cards.trust import ProgramPolicy, list_sequence, trust_list_sign
from tests.web.test_verifier_browser import _ahead, _card_text, _site_root, _station
from tests.web.test_verifier_browser import pytestmark as pytestmark
from tests.web.test_verifier_browser import verifier as verifier

PHONE = {"width": 390, "height": 844}
ZONE = "Asia/Damascus"


def _lists(tmp_path, *, status_signed: dt.datetime, status_days: int) -> str:
    """A trust list naming the program's zone and a 7-day freshness rule, a status list
    signed at ``status_signed`` valid for ``status_days``; returns a valid card."""
    now, root = dt.datetime.now(dt.UTC), _site_root()
    station = _station(now)
    policy = ProgramPolicy(timezone=ZONE, status_max_age_hours=7 * 24)
    trust = trust_list_sign(
        root=root, keys=[station], issued_at=_ahead(), programs={1: "aleppo-2024-defectors"},
        policies={1: policy},
    )  # fmt: skip
    status = StatusList().signed(
        root=root, issued_at=status_signed, uri="s",
        expires_at=status_signed + dt.timedelta(days=status_days),
        sequence=list_sequence(_ahead()),  # newer than the site's, as a ceremony's list would be
    )  # fmt: skip
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    (tmp_path / "status.json").write_text(json.dumps(status))
    return _card_text(station, 3, now)


def _plain(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "")


def _open(verifier, lang, tmp_path):
    page = verifier(lang)
    page.page.set_viewport_size(PHONE)
    page.load_lists(tmp_path / "trust.json", tmp_path / "status.json")
    return page


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_twenty_day_old_status_list_shows_a_valid_card_in_amber(verifier, tmp_path, lang):
    signed = dt.datetime.now(dt.UTC) - dt.timedelta(days=20, hours=2)
    card = _lists(tmp_path, status_signed=signed, status_days=30)
    page = _open(verifier, lang, tmp_path)

    assert page.paste(card) == "VALID"
    box = page.page.locator("#result")
    assert box.get_attribute("data-fresh") == "old"
    assert "warn" in (box.get_attribute("class") or "")
    assert "good" not in (box.get_attribute("class") or "")
    colour = page.page.evaluate("getComputedStyle(document.getElementById('result')).borderColor")
    assert colour == "rgb(178, 107, 0)"  # amber
    label = page.text("#verdict-label")
    assert label == ("صالحة، لكن القائمة قديمة" if lang == "ar" else "VALID, BUT THE LIST IS OLD")
    note = _plain(page.text("#verdict-note"))
    assert ("20 يوم" if lang == "ar" else "20 days") in note
    assert ("من 7 يوم المسموح" if lang == "ar" else "than the 7 days this") in note

    # The lists' times in the program's zone, the zone named; the list's age; no bare UTC.
    status_line = _plain(page.text("#status-state"))
    local = signed.astimezone(ZoneInfo(ZONE)).strftime("%d/%m/%Y %H:%M")  # as staff pages
    assert f"{local} {'بتوقيت دمشق' if lang == 'ar' else 'Damascus time'}" in status_line
    assert "UTC" not in status_line
    assert "warn" in (page.page.get_attribute("#status-state", "class") or "")
    assert ("بتوقيت دمشق" if lang == "ar" else "Damascus time") in page.text("#trust-state")
    assert page.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("walk-old-status-list")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_damaged_code_says_do_not_accept_with_the_reason(verifier, tmp_path, lang):
    card = _lists(tmp_path, status_signed=_ahead() - dt.timedelta(minutes=2), status_days=2)
    page = _open(verifier, lang, tmp_path)
    assert page.paste(card) == "VALID"  # a fresh list: green, as before
    assert "good" in (page.page.get_attribute("#result", "class") or "")
    assert page.page.get_attribute("#result", "data-fresh") is None

    for damaged in (card[:-40], card[:30] + "!" + card[31:]):
        assert page.paste(damaged) == "MALFORMED"
        assert "bad" in (page.page.get_attribute("#result", "class") or "")
        assert page.text("#verdict-label") == ("لا تُقبل" if lang == "ar" else "DO NOT ACCEPT")
        assert page.text("#verdict-message")  # the reason
        assert ("لا تقبل" if lang == "ar" else "Do not accept") in page.text("#verdict-note")
        assert page.page.is_hidden("#verdict-facts")
    page.shot("walk-damaged-code")
