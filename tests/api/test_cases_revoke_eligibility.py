"""POST /api/cases/{serial}/revoke-eligibility, then .../revoke-eligibility/confirm: a
deciding officer proposes to revoke a decided case's eligibility, with a reason; a second
deciding officer confirms it (four eyes); nobody else may."""

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
    proposed = _post(decider, url, reason)
    assert proposed.status_code == 201 and proposed.json()["status"] == "awaiting_second"
    assert decider.get(f"/api/cases/{serial}").json()["state"] == "decided"
    assert _post(decider, url, reason).status_code == 409  # one proposal at a time
    # the attack (F12): the proposer confirms their own revocation
    alone = _post(decider, f"{url}/confirm", {"reason": ""})
    assert alone.status_code == 403 and alone.json()["error"]["field"] == "user"
    assert decider.get(f"/api/cases/{serial}").json()["state"] == "decided"
    assert _post(_client(personas["clerk"]), f"{url}/confirm", {}).status_code == 403
    assert _post(_client(personas["decider2"]), f"{url}/maybe", {}).status_code == 404
    confirmed = _post(_client(personas["decider2"]), f"{url}/confirm", {"reason": "agreed"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["second_officer"] == personas["decider2"].username
    assert decider.get(f"/api/cases/{serial}").json()["state"] == "eligibility_revoked"


def test_a_second_officer_sends_a_revocation_back_with_a_reason(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    case = Case.objects.get(intake__serial=serial)
    case_services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    url = f"/api/cases/{serial}/revoke-eligibility"
    _post(_client(personas["decider"]), url, {"reason": "a rumour"})
    second = _client(personas["decider2"])
    blank = _post(second, f"{url}/reject", {"reason": ""})
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "reason"
    rejected = _post(second, f"{url}/reject", {"reason": "nothing on file"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert second.get(f"/api/cases/{serial}").json()["state"] == "decided"
    again = _post(second, f"{url}/confirm", {"reason": ""})
    assert again.status_code == 409 and again.json()["error"]["field"] == "case"
