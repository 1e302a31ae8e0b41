"""The staff site: Arabic first (right to left), English on request, role-aware pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import PASSWORD, make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _logged_in(user, language="ar") -> Client:
    client = Client(headers={"accept-language": language})
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_login_page_is_arabic_and_right_to_left_by_default(db):
    page = Client().get("/login/").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول" in page


def test_the_login_page_switches_to_english(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in page and "Log in" in page


def test_a_wrong_password_is_told_plainly(personas):
    page = Client().post("/login/", {"username": "clerk-amal", "password": "nope"}).content.decode()
    assert "اسم المستخدم أو كلمة المرور غير صحيحة" in page


def test_the_home_page_needs_a_login(db):
    assert Client().get("/").status_code == 302


def test_a_manager_sees_the_programs_with_their_figures(personas, programs):
    page = _logged_in(personas["manager"], "en").get("/").content.decode()
    assert "aleppo-2024-defectors" in page and "Registered" in page


def test_a_clerk_opens_a_case_of_their_station_but_not_another(personas, programs):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    serial = case.intake.serial
    page = _logged_in(personas["clerk"]).get(f"/cases/{serial}/")
    assert page.status_code == 200
    assert payload["person"]["given_name_ar"] in page.content.decode()
    assert _logged_in(personas["clerk2"]).get(f"/cases/{serial}/").status_code == 404
    assert _logged_in(personas["monitor"]).get(f"/cases/{serial}/").status_code == 404
