"""API clients for tests: staff signed in (officers stepped up), or a station device.

Officers never hold device tokens: their clients are sessions that carry a step-up token,
as an officer's script does after ``POST /api/step-up``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.test import Client

from sulh.accounts import policy, security
from sulh.accounts.models import Station, User
from sulh.accounts.services import station_create
from sulh.api import tokens


def step_up_for(user: User) -> str:
    """A live step-up token of ``user``'s, after a TOTP code from a freshly enrolled secret."""
    secret = security.totp_enrol(user)
    return tokens.step_up_grant(user=user, code=security.totp_code(secret)).raw


def api_client(user: User) -> Client:
    """``user`` signed in; with a step-up token when the role needs a second factor."""
    headers = {}
    if policy.needs_second_factor(user):
        headers[tokens.STEP_UP_HEADER] = step_up_for(user)
    client = Client(headers=headers)
    client.force_login(user)
    return client


def device_station(user: User) -> Station:
    """The account's station, or a crossing point for an account without one."""
    if user.station is not None:
        return user.station
    return station_create(code="xing1", name_ar="معبر", name_en="Crossing point 1")


def device_token_for(
    user: User, *, scopes: Sequence[str] | None = None, device: str = "tablet-1", days: int = 90
) -> str:
    allowed = [s for s, action in policy.DEVICE_SCOPES.items() if policy.allows(user, action)]
    return tokens.device_token_create(
        user=user,
        station=device_station(user),
        device=device,
        scopes=list(scopes) if scopes is not None else allowed,
        days=days,
    ).raw


def device_client(user: User, **kwargs: object) -> Client:
    token = device_token_for(user, **kwargs)  # type: ignore[arg-type]
    return Client(headers={"authorization": f"Bearer {token}"})
