"""GET /healthz: the load balancer's liveness check."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
