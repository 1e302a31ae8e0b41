"""GET /api/cases/{serial}/candidates, then POST /api/candidates/{candidate_id}/resolve:
a vetting officer sees a duplicate candidate with its evidence and clears it."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_a_vetting_officer_sees_and_clears_a_duplicate_through_the_api(personas, programs):
    person = {
        "given_name_ar": "ثائر",
        "family_name_ar": "كيالي",
        "birth_date": "1984-02-20",
        "national_id": "50600700801",
    }
    first = _post(
        _client(personas["clerk"]),
        "/api/intakes",
        make_intake(PROGRAM, submitted_at=WHEN, person=person),
    )
    second = _post(
        _client(personas["clerk2"]),
        "/api/intakes",
        make_intake(PROGRAM, submitted_at=WHEN, person=person),
    )
    assert second.json()["state"] == "screened"  # the desk is not told it is in review
    vetter = _client(personas["vetter"])
    serial = second.json()["serial"]
    assert vetter.get(f"/api/cases/{serial}").json()["state"] == "in_review"  # the officer is
    candidates = vetter.get(f"/api/cases/{serial}/candidates").json()
    assert [c["other_case"] for c in candidates] == [first.json()["serial"]]
    assert _client(personas["clerk2"]).get(f"/api/cases/{serial}/candidates").status_code == 403
    resolved = _post(
        vetter,
        f"/api/candidates/{candidates[0]['id']}/resolve",
        {"decision": "clear", "reason": "different fathers on the ID cards"},
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "cleared"
    assert vetter.get(f"/api/cases/{serial}").json()["state"] == "screened"
