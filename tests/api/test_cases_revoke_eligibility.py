"""POST /api/cases/{serial}/revoke-eligibility: a deciding officer revokes a decided
case's eligibility, with a reason; nobody else may."""

from __future__ import annotations

import pytest

from sulh.cases import services as case_services
from sulh.cases.models import Case
from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_it_revokes_a_decided_case_for_a_deciding_officer_with_a_reason(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    case = Case.objects.get(intake__serial=serial)
    case_services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    url = f"/api/cases/{serial}/revoke-eligibility"
    reason = {"reason": "evidence of a serious crime"}
    assert _post(_client(personas["clerk"]), url, reason).status_code == 403
    decider = _client(personas["decider"])
    blank = _post(decider, url, {"reason": " "})
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "reason"
    revoked = _post(decider, url, reason)
    assert revoked.status_code == 200 and revoked.json()["state"] == "eligibility_revoked"
