"""The API fuzzed from its own OpenAPI document (schemathesis): whatever it is sent, it
answers without a server error. The budget is kept small for CI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from sulh.accounts.services import api_token_create
from sulh.keys.services import root_online_create
from sulh.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def tokens(personas, programs) -> Iterator[dict[str, str]]:
    # Requests go straight to the WSGI application, so Django would close the test's
    # database connection when each one finishes (the test client prevents that itself);
    # on PostgreSQL that ends the test's transaction. Keep the connection while fuzzing.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    root_online_create()  # a site whose root ceremony is done (without it: 503, by design)
    try:
        yield {
            role: api_token_create(user=personas[role], name="fuzz")
            for role in ("clerk", "decider", "manager")
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_no_request_makes_the_api_fail(case, tokens):
    for token in tokens.values():
        case.call_and_validate(
            headers={"authorization": f"Bearer {token}"}, checks=[not_a_server_error]
        )
