"""The walk through every role (second pass): a registration saved without the pledge
ticked, with no word to the clerk, and the case was proposed for denial. The desk now asks
whether the person signed or refused; only a refusal said so saves without it."""

from __future__ import annotations

import pytest

from sulh.cases.models import Case
from tests.web.test_intake_check_oracle import PROGRAM, _client

pytestmark = pytest.mark.django_db


def _form(version: int, **extra: str) -> dict[str, object]:
    return {
        "program": PROGRAM, "pledge_version": version, "given_name_lat": "Tamer",
        "family_name_lat": "Haddad", "birth_date": "03/04/1988", "sex": "male",
        "category": "combatant", "affiliation": "army", "origin": "local",
        "pledge_language": "ar", **extra,
    }  # fmt: skip


def test_an_unticked_pledge_is_asked_about_and_nothing_is_saved(personas, open_program):
    clerk = _client(personas["clerk"])
    version = open_program.pledge.version
    answer = clerk.post("/intake/", _form(version))
    page = answer.content.decode()
    assert answer.status_code == 422 and not Case.objects.exists()
    assert 'id="pledge_signed-error"' in page or "pledge_signed" in page
    assert "لم يُعلَّم التعهّد بأنه موقَّع" in page  # beside the box, in Arabic
    assert 'value="Tamer"' in page  # the form as typed
    refused = clerk.post("/intake/", _form(version, pledge_refused="on"))
    assert refused.status_code == 302 and Case.objects.count() == 1
    signed = clerk.post("/intake/", _form(version, pledge_signed="on", given_name_lat="Samer"))
    assert signed.status_code == 302 and Case.objects.count() == 2
