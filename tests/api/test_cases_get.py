"""GET /api/cases/{serial}: a case, seen only where the caller may see it."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROGRAM, WHEN, _client, _post
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db


def test_a_clerk_sees_only_their_station(personas, programs):
    serial = _post(
        _client(personas["clerk"]), "/api/intakes", make_intake(PROGRAM, submitted_at=WHEN)
    ).json()["serial"]
    assert _client(personas["clerk"]).get(f"/api/cases/{serial}").status_code == 200
    assert _client(personas["clerk2"]).get(f"/api/cases/{serial}").status_code == 404
    assert _client(personas["monitor"]).get(f"/api/cases/{serial}").status_code == 404
