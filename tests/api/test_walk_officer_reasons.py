"""Issue #22, item 3, through the API: a second officer's answer, a card officer's
reinstatement approval and a vetting officer's resolution with only spaces for a reason are
refused by the services (422, field "reason"), and nothing changes."""

from __future__ import annotations

import pytest

from sulh.cases.models import Decision, DecisionStatus
from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_a_blank_confirmation_of_a_denial_is_refused(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    proposed = _post(
        _client(personas["decider"]),
        f"/api/cases/{serial}/decisions",
        {"outcome": "denial", "reason": "refused pledge"},
    ).json()
    second = _client(personas["decider2"])
    for reason in ("", "   ", "\n\t"):
        answer = _post(second, f"/api/decisions/{proposed['id']}/confirm", {"reason": reason})
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == "reason"
    assert Decision.objects.get(pk=proposed["id"]).status == DecisionStatus.AWAITING_SECOND
