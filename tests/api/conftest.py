"""What the tests of the HTTP API share: a client with a member of staff's API token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from sulh.accounts.services import api_token_create

PROGRAM = "aleppo-2016-amnesty"
WHEN = "2016-08-10T09:00:00+00:00"


def _client(user: Any) -> Client:
    token = api_token_create(user=user, name="desk")
    return Client(headers={"authorization": f"Bearer {token}"})


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")
