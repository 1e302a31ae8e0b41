"""Device tokens for station devices, and step-up tokens for officers' actions over the API.

A device token is bound to a station and a named device, carries scopes (each lets the
device take one action of the policy's ``DEVICE_SCOPES``), expires (90 days unless told,
a year at most) and can be revoked. No officer who needs a second factor may hold one:
officers use the API signed in, and their second-factor actions need a step-up token,
minted for five minutes after a fresh TOTP code. Creating and revoking a device token, a
refused use, and every step-up granted or refused are audit entries; no raw token is
stored, audited or logged (only its SHA-256: tokens are 256-bit random, so a hash cannot
be reversed by guessing).

These services sit in the API layer because they write to accounts and audit alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.accounts import policy, security
from sulh.accounts.models import DeviceToken, Station, StepUp, User
from sulh.audit.services import audit_record
from sulh.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    SulhError,
    ValidationFailed,
)

DEVICE_PREFIX = "sulhd_"
STEP_UP_PREFIX = "sulhs_"
STEP_UP_HEADER = "X-Sulh-Step-Up"
DEFAULT_DAYS = 90
MAX_DAYS = 365
STEP_UP_LIFETIME = dt.timedelta(minutes=5)
# Guessing a six-digit code: at most this many wrong codes per account in the window. Only
# someone already signed in as the officer can spend them, so it locks out no stranger.
STEP_UP_MAX_REFUSALS = 5
STEP_UP_WINDOW = dt.timedelta(minutes=15)
DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

# What each scope lets a device call: (method, endpoint function in sulh.api.api).
# Anything else is refused to a device token, whatever its user's role may do.
SCOPE_ENDPOINTS: dict[str, frozenset[tuple[str, str]]] = {
    "intake": frozenset(
        {
            ("POST", "intakes_create"),
            ("GET", "cases_detail"),
            ("GET", "cases_events"),
            ("GET", "programs_list"),
            ("GET", "programs_detail"),
        }
    ),
    "tallies": frozenset(
        {
            ("POST", "corridor_tally"),
            ("GET", "programs_list"),
            ("GET", "programs_detail"),
        }
    ),
    # scans at the vehicle door and on arrival, for the convoys of the account's programs
    "boarding": frozenset(
        {
            ("POST", "convoys_boardings"),
            ("POST", "convoys_no_shows"),
            ("POST", "convoys_arrivals"),
            ("GET", "convoys_detail"),
            ("GET", "programs_list"),
            ("GET", "programs_detail"),
        }
    ),
}


class TokenRefused(SulhError):
    status = 401
    code = "token_refused"


class StepUpRequired(SulhError):
    status = 401
    code = "step_up_required"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Device tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedToken:
    token: DeviceToken
    raw: str  # shown once, never stored


def user_named(username: str) -> User:
    user = User.objects.select_related("station").filter(username=username).first()
    if user is None:
        raise ValidationFailed(f"no staff account is called {username!r}", field="user")
    return user


def station_coded(code: str) -> Station:
    station = Station.objects.filter(code=code).first()
    if station is None:
        raise ValidationFailed(f"no station has the code {code!r}", field="station")
    return station


def _clean_device(device: str) -> str:
    device = device.strip()
    if not DEVICE_NAME.fullmatch(device):
        raise ValidationFailed(
            "name the device with 1 to 64 letters, digits, dots, dashes or underscores "
            "(e.g. tablet-3), not after a person",
            field="device",
        )
    return device


def _clean_scopes(user: User, scopes: Sequence[str]) -> list[str]:
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    if not cleaned:
        known = ", ".join(sorted(policy.DEVICE_SCOPES))
        raise ValidationFailed(f"give at least one scope ({known})", field="scope")
    for scope in cleaned:
        policy.require_device_scope(user, scope)
    return cleaned


def _check_holder(user: User, station: Station) -> None:
    if not user.is_active:
        raise ValidationFailed(f"the account {user.username!r} is deactivated", field="user")
    if not policy.may_hold_device_token(user):
        raise PermissionDenied(
            f"{user.username!r} holds a role that needs a second factor: officers use the API "
            "signed in, with a step-up token, never with a device token",
            field="user",
        )
    if user.station_id is not None and user.station_id != station.pk:
        raise ValidationFailed(
            f"{user.username!r} works at another station; a device token is bound to the "
            "account's own station",
            field="station",
        )


def device_token_create(
    *,
    user: User,
    station: Station,
    device: str,
    scopes: Sequence[str],
    days: int = DEFAULT_DAYS,
) -> CreatedToken:
    """A new device token; the raw token is returned once and only its hash is kept."""
    device = _clean_device(device)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"a device token lives 1 to {MAX_DAYS} days", field="days")
    _check_holder(user, station)
    cleaned = _clean_scopes(user, scopes)
    raw = DEVICE_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            token = DeviceToken.objects.create(
                user=user,
                station=station,
                device=device,
                scopes=" ".join(cleaned),
                token_sha256=token_hash(raw),
                created_at=now,
                expires_at=now + dt.timedelta(days=days),
            )
            _audit_token(token, "device_token_created")
    except IntegrityError as exc:
        raise Conflict(
            f"device {device!r} at station {station.code!r} already has a live token: "
            "revoke it first (sulh tokens list, sulh tokens revoke ID)",
            field="device",
        ) from exc
    return CreatedToken(token=token, raw=raw)


def _audit_token(token: DeviceToken, action: str, **details: str) -> None:
    audit_record(
        actor=None,
        action=action,
        obj_type="device_token",
        obj_id=str(token.pk),
        details={
            "user": token.user.username,
            "station": token.station.code,
            "device": token.device,
            "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat(),
            **details,
        },
    )


def device_tokens_list() -> list[DeviceToken]:
    return list(
        DeviceToken.objects.select_related("user", "station").order_by("station__code", "pk")
    )


def device_token_state(token: DeviceToken, *, now: dt.datetime | None = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= (now or timezone.now()) else "live"


def device_token_revoke(*, token_id: int) -> DeviceToken:
    with transaction.atomic():
        token = (
            DeviceToken.objects.select_for_update()
            .select_related("user", "station")
            .filter(pk=token_id)
            .first()
        )
        if token is None:
            raise NotFound(f"no device token has the id {token_id}", field="id")
        if token.revoked_at is not None:
            raise Conflict(f"device token {token_id} is already revoked", field="id")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _audit_token(token, "device_token_revoked")
    return token


def _refusal(token: DeviceToken, method: str, endpoint: str) -> tuple[str, SulhError] | None:
    """Why ``token`` may not call ``endpoint`` now (a reason for the audit, an error for the
    caller), or None."""
    user = token.user
    allowed = set().union(*(SCOPE_ENDPOINTS.get(scope, frozenset()) for scope in token.scope_list))
    checks: list[tuple[bool, str, SulhError]] = [
        (
            token.revoked_at is not None,
            "revoked",
            TokenRefused("this device token was revoked"),
        ),
        (
            token.expires_at <= timezone.now(),
            "expired",
            TokenRefused("this device token expired: create a new one (sulh tokens create)"),
        ),
        (
            not user.is_active,
            "inactive",
            TokenRefused("the account behind this device token is deactivated"),
        ),
        (
            not policy.may_hold_device_token(user),
            "officer",
            PermissionDenied(
                "an officer who needs a second factor cannot use a device token: sign in and "
                "step up (POST /api/step-up)",
                field="user",
            ),
        ),
        (
            user.station_id is not None and user.station_id != token.station_id,
            "wrong station",
            PermissionDenied(
                "this device token is bound to another station than the account's",
                field="station",
            ),
        ),
        (
            (method, endpoint) not in allowed,
            "out of scope",
            PermissionDenied(
                f"this device token's scopes ({token.scopes}) do not cover this request",
                field="scope",
            ),
        ),
    ]
    return next(((reason, error) for refused, reason, error in checks if refused), None)


def device_token_use(*, raw: str, method: str, endpoint: str) -> DeviceToken | None:
    """The device token behind ``raw`` if it may call ``endpoint`` now; None when no token
    has that hash; a refusal (audited) when it exists but is revoked, expired, of an
    officer, of another station or out of scope."""
    token = (
        DeviceToken.objects.select_related("user", "user__station", "station")
        .filter(token_sha256=token_hash(raw))
        .first()
    )
    if token is None:
        return None
    refusal = _refusal(token, method, endpoint)
    if refusal is not None:
        reason, error = refusal
        _audit_token(token, "device_token_refused", reason=reason, endpoint=f"{method} {endpoint}")
        raise error
    now = timezone.now()
    # At most one write a minute per token, and none racing another request.
    DeviceToken.objects.filter(pk=token.pk).exclude(
        last_used_at__gt=now - dt.timedelta(minutes=1)
    ).update(last_used_at=now)
    return token


# --- Step-up tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantedStepUp:
    raw: str  # shown once, never stored
    expires_at: dt.datetime


def _refusals_recently(user: User, now: dt.datetime) -> int:
    return StepUp.objects.filter(user=user, granted=False, at__gt=now - STEP_UP_WINDOW).count()


def step_up_grant(*, user: User, code: str) -> GrantedStepUp:
    """A step-up token for ``user`` after a fresh TOTP code; a wrong code is kept (without a
    token) and audited, and too many in a row are refused until the window passes."""
    if not policy.needs_second_factor(user):
        raise PermissionDenied("your role takes no action that needs a second factor", field="user")
    if not security.totp_enrolled(user):
        raise PermissionDenied(
            "you have no second factor yet: sign in to the web once to enrol one", field="code"
        )
    now = timezone.now()
    if _refusals_recently(user, now) >= STEP_UP_MAX_REFUSALS:
        raise RateLimited(
            f"too many wrong codes: try again in {STEP_UP_WINDOW.seconds // 60} minutes",
            retry_after=STEP_UP_WINDOW.seconds,
            field="code",
        )
    if not security.totp_check(user, code):
        with transaction.atomic():
            StepUp.objects.create(user=user, at=now, granted=False)
            _audit_step_up(user, "step_up_refused", reason="wrong or reused code")
        raise PermissionDenied(
            "that code is wrong or was already used: enter the six digits your app shows now",
            field="code",
        )
    raw = STEP_UP_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + STEP_UP_LIFETIME
    with transaction.atomic():
        StepUp.objects.create(
            user=user, at=now, granted=True, token_sha256=token_hash(raw), expires_at=expires_at
        )
        _audit_step_up(user, "step_up_granted", expires_at=expires_at.isoformat())
    return GrantedStepUp(raw=raw, expires_at=expires_at)


def _audit_step_up(user: User, action: str, **details: str) -> None:
    audit_record(actor=user, action=action, obj_type="user", obj_id=str(user.pk), details=details)


def step_up_check(*, user: User, presented: str | None, action: policy.Action) -> None:
    """Refuse (401) an action that needs a fresh second factor unless ``presented`` is a
    live step-up token of ``user``'s own; other actions pass."""
    if not policy.needs_step_up(user, action):
        return
    how = f"POST /api/step-up with a TOTP code, then send the token in the {STEP_UP_HEADER} header"
    if not presented:
        raise StepUpRequired(f"to {action} you need a second factor: {how}", field=STEP_UP_HEADER)
    step_up = StepUp.objects.filter(token_sha256=token_hash(presented), granted=True).first()
    if step_up is None or step_up.user_id != user.pk:
        if step_up is not None:
            _audit_step_up(user, "step_up_refused", reason="another account's step-up token")
        raise StepUpRequired(f"this step-up token is not yours: {how}", field=STEP_UP_HEADER)
    assert step_up.expires_at is not None  # a granted step-up has one (a constraint)
    if step_up.expires_at <= timezone.now():
        raise StepUpRequired(f"this step-up token has expired: {how}", field=STEP_UP_HEADER)
