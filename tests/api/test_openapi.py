"""GET /api/openapi.json: the API is documented."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_serves_an_openapi_document_covering_programs_intakes_and_decisions(db):
    document = Client().get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/programs",
        "/api/intakes",
        "/api/cases/{serial}/decisions",
        "/api/decisions/{decision_id}/confirm",
    ):
        assert path in paths
