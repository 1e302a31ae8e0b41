"""GET /api/bulletins/{code}: a program's figures, for managers and monitors."""

from __future__ import annotations

import pytest

from tests.api.conftest import PROGRAM, _client

pytestmark = pytest.mark.django_db


def test_figures_are_for_managers_and_monitors(personas, programs):
    assert _client(personas["clerk"]).get(f"/api/bulletins/{PROGRAM}").status_code == 403
    figures = _client(personas["monitor"]).get(f"/api/bulletins/{PROGRAM}").json()["figures"]
    assert figures["registered"] == 0
