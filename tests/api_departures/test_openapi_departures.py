"""The departures endpoints are in the OpenAPI document, and no answer of theirs has a
place for a name, a driver or a note."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/cases/{serial}/departure-orders": {"post"},
    "/api/departure-orders/{order_id}": {"get"},
    "/api/departure-orders/{order_id}/change": {"post"},
    "/api/departure-orders/{order_id}/cancel": {"post"},
    "/api/convoys": {"post"},
    "/api/convoys/{convoy_id}": {"get"},
    "/api/convoys/{convoy_id}/vehicles": {"post"},
    "/api/convoys/{convoy_id}/escorts": {"post"},
    "/api/convoys/{convoy_id}/placements": {"post"},
    "/api/convoys/{convoy_id}/boardings": {"post"},
    "/api/convoys/{convoy_id}/no-shows": {"post"},
    "/api/convoys/{convoy_id}/departure": {"post"},
    "/api/convoys/{convoy_id}/incidents": {"post"},
    "/api/convoys/{convoy_id}/arrival": {"post"},
    "/api/convoys/{convoy_id}/arrivals": {"post"},
    "/api/convoys/{convoy_id}/reconciliation": {"get"},
    "/api/convoys/{convoy_id}/alerts": {"get"},
}
OUT = (
    "DepartureOrderOut",
    "TravellerOut",
    "ConvoyOut",
    "VehicleOut",
    "TravellerEventOut",
    "ConvoyEventOut",
    "CountsOut",
    "ReconciliationOut",
    "ConvoyAlertOut",
)


def test_the_document_covers_every_departures_endpoint_and_shows_no_name(db):
    document = Client().get("/api/openapi.json").json()
    for path, methods in PATHS.items():
        assert set(document["paths"][path]) == methods, path
        for operation in document["paths"][path].values():
            assert operation["tags"] == ["departures"]
            assert {"403", "404", "422"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    for name in OUT:
        fields = set(schemas[name]["properties"])
        assert not {f for f in fields if "name" in f or f in {"driver", "note", "reason"}}, name
