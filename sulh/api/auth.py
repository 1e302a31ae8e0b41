"""API authentication: a station device's token (bound, scoped, expiring), or a staff session.

Officers who need a second factor have no device token; they use the API signed in, and
their second-factor actions also need a step-up token (``sulh.api.tokens``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from sulh.accounts.models import User
from sulh.api.tokens import device_token_use


class DeviceTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        match = request.resolver_match
        endpoint = match.url_name if match is not None and match.url_name else ""
        device_token = device_token_use(raw=token, method=request.method or "", endpoint=endpoint)
        if device_token is None:
            return None
        request.user = device_token.user
        return device_token.user


AUTH: list[Any] = [DeviceTokenAuth(), django_auth]
