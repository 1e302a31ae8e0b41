"""GET /api/programs: the loaded programs, for authenticated callers only."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import _client

pytestmark = pytest.mark.django_db


def test_it_refuses_an_anonymous_caller_with_the_error_shape(db):
    response = Client().get("/api/programs")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_lists_the_five_seed_programs(personas, programs):
    codes = {p["code"] for p in _client(personas["manager"]).get("/api/programs").json()}
    assert codes == {
        "aleppo-2016-amnesty",
        "aleppo-2016-evacuation",
        "aleppo-2016-safe-passage",
        "aleppo-2016-48h-withdrawal",
        "aleppo-2024-defectors",
    }
