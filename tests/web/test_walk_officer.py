"""Issue #22, the officers' pages walked in the system's Chromium, Arabic first: reasons
refused when blank, beside their box (item 3); what a decision rests on (item 6); the
vetting queue (item 7); the card officer's list, batch printing and card actions (item 8).

Cases are registered through the services (the intake page has its own walk); the pages
are then used as an officer would. Screenshots: tests/screenshots/staff-<lang>-walk-*.png.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sulh.accounts import security
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, Decision, DecisionStatus
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake
from tests.web.conftest import CHROMIUM
from tests.web.test_staff_browser import Desk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium"),
]
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PHONE = {"width": 390, "height": 844}


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
