"""GET /api/programs/{code}: one program."""

from __future__ import annotations

import pytest

from tests.api.conftest import _client

pytestmark = pytest.mark.django_db


def test_an_unknown_program_is_a_404_naming_the_field(personas, programs):
    response = _client(personas["manager"]).get("/api/programs/nope")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "program"
