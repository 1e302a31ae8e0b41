"""What the tests of the HTTP API share: a member of staff signed in (officers stepped up)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests.clients import api_client

PROGRAM = "aleppo-2016-amnesty"
WHEN = "2016-08-10T09:00:00+00:00"


def _client(user: Any) -> Client:
    return api_client(user)


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")
