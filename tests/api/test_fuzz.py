"""The API fuzzed from its own OpenAPI document (schemathesis): whatever it is sent, it
answers without a server error. The budget is kept small for CI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from sulh.api.tokens import STEP_UP_HEADER
from sulh.keys.services import root_online_create
from sulh.wsgi import application
from tests.clients import device_token_for, step_up_for

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def credentials(personas, programs) -> Iterator[list[dict[str, str]]]:
    # Requests go straight to the WSGI application, so Django would close the test's
    # database connection when each one finishes (the test client prevents that itself);
    # on PostgreSQL that ends the test's transaction. Keep the connection while fuzzing.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    root_online_create()  # a site whose root ceremony is done (without it: 503, by design)
    try:
        yield [
            {"authorization": f"Bearer {device_token_for(personas['clerk'])}"},
            *(_signed_in(personas[role]) for role in ("decider", "manager")),
        ]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _signed_in(user) -> dict[str, str]:
    """An officer's session cookie, a CSRF pair and a step-up token, as headers."""
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    csrf = "c" * 32
    return {
        "cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}; "
        f"{django_settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
        STEP_UP_HEADER: step_up_for(user),
    }


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_no_request_makes_the_api_fail(case, credentials):
    for headers in credentials:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
