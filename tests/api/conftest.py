"""What the tests of the HTTP API share: a member of staff signed in (officers stepped up)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.clients import api_client

PROGRAM = "aleppo-2016-amnesty"
WHEN = "2016-08-10T09:00:00+00:00"


@pytest.fixture(autouse=True)
def _registered_at_when(server_clock: Callable[[dt.datetime], None]) -> None:
    """The server's clock reads WHEN for registrations: the seed program's window is 2016."""
    server_clock(dt.datetime.fromisoformat(WHEN))


def _client(user: Any) -> Client:
    return api_client(user)


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")
