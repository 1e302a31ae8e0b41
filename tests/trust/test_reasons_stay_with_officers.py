"""Second red-team review: a clerk or a station device read the free-text reasons of a
case's events (a referral naming an informant, a pending revocation's grounds) through
``GET /api/cases/{serial}/events`` and the case page. They see the case's course only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
REASON = "named by informant Qazwan Zubairi"  # generated


def test_a_clerk_sees_the_course_of_a_case_but_not_the_officers_reasons(personas, programs):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    decision = services.decision_record(
        case=case, user=personas["decider"], outcome="denial", reason=REASON
    )
    services.decision_confirm(decision=decision, user=personas["decider2"], reason=REASON)
    serial = case.intake.serial
    clerk_events = api_client(personas["clerk"]).get(f"/api/cases/{serial}/events").json()
    assert [e["event"] for e in clerk_events][-1] == "decision_taken"  # the course, yes
    assert all(e["reason"] == "" for e in clerk_events)
    page = Client()
    page.force_login(personas["clerk"])
    shown = page.get(f"/cases/{serial}/").content.decode()
    assert serial in shown and REASON not in shown
    vetter_events = api_client(personas["vetter"]).get(f"/api/cases/{serial}/events").json()
    assert REASON in [e["reason"] for e in vetter_events]  # the officers working it do
