"""POST /api/cases/{serial}/decisions, then POST /api/decisions/{decision_id}/confirm:
a decision takes effect once a second officer confirms it (four eyes)."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_four_eyes_through_the_api(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    decider, decider2 = _client(personas["decider"]), _client(personas["decider2"])
    proposed = _post(
        decider, f"/api/cases/{serial}/decisions", {"outcome": "denial", "reason": "refused pledge"}
    )
    assert proposed.status_code == 201 and proposed.json()["status"] == "awaiting_second"
    decision_id = proposed.json()["id"]
    own = _post(decider, f"/api/decisions/{decision_id}/confirm", {"reason": ""})
    assert own.status_code == 403
    confirmed = _post(decider2, f"/api/decisions/{decision_id}/confirm", {"reason": "agreed"})
    assert confirmed.status_code == 200
    assert decider.get(f"/api/cases/{serial}").json()["outcome"] == "denial"
