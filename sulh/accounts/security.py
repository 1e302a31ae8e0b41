"""Sign-in protection: lockout after repeated failures, and a second factor (TOTP, RFC 6238)
for the officers who decide, revoke or export.

Codes come from any authenticator app: six digits, 30-second steps, one step of clock
drift either way, and each code accepted once.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import time
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.db import transaction
from django.utils import timezone

from sulh.accounts import policy
from sulh.accounts.models import LoginState, User

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
STEP = 30
DIGITS = 6


def needs_second_factor(user: User) -> bool:
    """Officers who decide, revoke or export sign in with a second factor (the policy's)."""
    return policy.needs_second_factor(user)


def _state(user: User, *, lock: bool = False) -> LoginState:
    state, _ = LoginState.objects.get_or_create(user=user)
    if lock:
        state = LoginState.objects.select_for_update().get(pk=state.pk)
    return state


def locked_until(user: User) -> dt.datetime | None:
    state = LoginState.objects.filter(user=user).first()
    if state and state.locked_until and state.locked_until > timezone.now():
        return state.locked_until
    return None


def record_failure(user: User) -> None:
    """Count a failed password or code; the fifth in a row locks the account for 15 minutes."""
    with transaction.atomic():
        state = _state(user, lock=True)
        state.failures += 1
        if state.failures >= MAX_FAILURES:
            state.locked_until = timezone.now() + LOCKOUT
            state.failures = 0
        state.save(update_fields=["failures", "locked_until"])


def record_success(user: User) -> None:
    LoginState.objects.filter(user=user).update(failures=0, locked_until=None)


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def _totp(secret: str) -> TOTP:
    # HMAC-SHA1 is what RFC 6238 and every authenticator app use; HMAC keeps it sound.
    return TOTP(base64.b32decode(secret), DIGITS, SHA1(), STEP, enforce_key_length=False)  # noqa: S303


def totp_code(secret: str, at: float | None = None) -> str:
    """The current code (for tests and the enrolment check)."""
    return _totp(secret).generate(int(at if at is not None else time.time())).decode()


def totp_uri(secret: str, *, username: str) -> str:
    label = quote(f"Sulh:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer=Sulh&digits={DIGITS}&period={STEP}"


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = code.strip().translate(ARABIC_INDIC_DIGITS)
    if not (code.isascii() and code.isdigit() and len(code) == DIGITS):
        return None
    totp = _totp(secret)
    for drift in (0, -1, 1):
        at = int(now) + drift * STEP
        try:
            totp.verify(code.encode(), at)
        except InvalidToken:
            continue
        return at // STEP
    return None


ARABIC_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def totp_enrolled(user: User) -> bool:
    state = LoginState.objects.filter(user=user).first()
    return bool(state and state.totp_secret)


def totp_check(user: User, code: str, *, secret: str | None = None) -> bool:
    """Check a code against the user's secret (or a secret being enrolled); a code is used once.

    On success with ``secret`` given, that secret becomes the user's.
    """
    with transaction.atomic():
        state = _state(user, lock=True)
        key = secret or state.totp_secret
        step = _matching_step(key, code, time.time()) if key else None
        if step is None or step <= state.totp_last_step:
            return False
        state.totp_last_step = step
        if secret:
            state.totp_secret = secret
        state.save(update_fields=["totp_last_step", "totp_secret"])
    return True


def totp_enrol(user: User, *, secret: str | None = None) -> str:
    """Set (or reset) a user's TOTP secret directly, e.g. from the command line."""
    secret = secret or new_totp_secret()
    with transaction.atomic():
        state = _state(user, lock=True)
        state.totp_secret, state.totp_last_step = secret, 0
        state.save(update_fields=["totp_secret", "totp_last_step"])
    return secret
