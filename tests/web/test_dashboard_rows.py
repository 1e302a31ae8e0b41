"""A monitor's dashboard draws the published bulletin's declared rows: every station, and
the days before the opening and after the deadline named in the page's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [
        ("ar", "قبل الافتتاح", "بعد انتهاء المهلة"),
        ("en", "Before the opening", "After the deadline"),
    ],
)
def test_a_monitor_sees_every_declared_row_named_in_its_language(
    personas, programs, language, before, after
):
    when = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
    payload = make_intake(PROGRAM, submitted_at=when)
    intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    assert main(["ledger", "publish", "--force"]) == 0
    monitor = personas["monitor"]
    monitor.language = language
    monitor.save()
    client = Client()
    client.force_login(monitor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/dashboard/?program={PROGRAM}").content.decode()
    assert before in page and after in page
    assert ">earlier<" not in page and ">later<" not in page
    # both stations of the site are drawn, the one where nobody registered too
    clerk2 = personas["clerk2"].station
    assert (clerk2.name_ar if language == "ar" else clerk2.name_en) in page
