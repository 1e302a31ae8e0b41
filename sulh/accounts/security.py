"""Sign-in protection: back-off after repeated failures (never a lockout), and a second
factor (TOTP, RFC 6238) for the officers who decide, revoke or export.

Codes come from any authenticator app: six digits, 30-second steps, one step of clock
drift either way, and each code accepted once. An account enrols its authenticator only
with a one-time enrolment code an administrator issued (``sulh users enrol-code``): a
password alone never lets anyone choose an account's second factor.
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
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sulh.accounts import policy, throttle
from sulh.accounts.hooks import SecondFactorChange, second_factor_changed
from sulh.accounts.models import EnrolmentCode, LoginState, User
from sulh.core.errors import ValidationFailed

STEP = 30
DIGITS = 6
# Enrolment codes: ten letters and digits an administrator can read out (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def needs_second_factor(user: User) -> bool:
    """Officers who decide, revoke or export sign in with a second factor (the policy's)."""
    return policy.needs_second_factor(user)


def _state(user: User, *, lock: bool = False) -> LoginState:
    state, _ = LoginState.objects.get_or_create(user=user)
    if lock:
        state = LoginState.objects.select_for_update().get(pk=state.pk)
    return state


# --- Throttling sign-in ---------------------------------------------------------------------


def address_key(address: str) -> str:
    return throttle.throttle_key("address", address)


def account_key(username: str) -> str:
    """The same key whether or not the account exists: unknown names are throttled alike."""
    return throttle.throttle_key("account", username.strip().casefold())


def second_step_key(user: User) -> str:
    return throttle.throttle_key("second-step", str(user.pk))


def address_wait(address: str) -> int:
    return throttle.backoff_wait(address_key(address))


def account_wait(username: str) -> int:
    return throttle.backoff_wait(account_key(username))


def sign_in_failed(*, address: str, username: str) -> None:
    """A wrong password (or an unknown name): counts for the address and the name."""
    throttle.backoff_failure(
        address_key(address),
        free=settings.SULH_FREE_FAILURES,
        cap=settings.SULH_ADDRESS_BACKOFF_CAP,
    )
    throttle.backoff_failure(
        account_key(username),
        free=settings.SULH_ACCOUNT_FREE_FAILURES,
        cap=settings.SULH_ACCOUNT_BACKOFF_CAP,
    )


def second_step_wait(*, address: str, user: User) -> int:
    return max(address_wait(address), throttle.backoff_wait(second_step_key(user)))


def second_step_failed(*, address: str, user: User) -> int:
    """A wrong code or enrolment code; return the wait it now has."""
    free, cap = settings.SULH_FREE_FAILURES, settings.SULH_ADDRESS_BACKOFF_CAP
    return max(
        throttle.backoff_failure(address_key(address), free=free, cap=cap),
        throttle.backoff_failure(second_step_key(user), free=free, cap=cap),
    )


def sign_in_succeeded(user: User) -> None:
    """Signed in (with the second factor where one is needed): the account's count is
    cleared. The address's is not, so that signing in to one's own account between guesses
    does not reset them."""
    throttle.backoff_clear(account_key(user.username))
    throttle.backoff_clear(second_step_key(user))
    throttle.throttle_forget()


# A browser an account signed in from keeps a signed note of it, so that a stranger who
# keeps an account waiting does not hold its owner up on the owner's own browser.
DEVICE_SALT = "sulh.accounts.device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5


def device_note(previous: str, user: User) -> str:
    keys = [key for key in device_accounts(previous) if key != account_key(user.username)]
    keys = [account_key(user.username), *keys][:DEVICE_ACCOUNTS]
    return signing.dumps(keys, salt=DEVICE_SALT, compress=True)


def device_accounts(note: str) -> list[str]:
    if not note:
        return []
    try:
        keys = signing.loads(note, salt=DEVICE_SALT, max_age=dt.timedelta(days=DEVICE_DAYS))
    except signing.BadSignature:
        return []
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def device_knows(note: str, username: str) -> bool:
    return account_key(username) in device_accounts(note)


# --- Enrolment codes ------------------------------------------------------------------------


def _code_hash(user: User, code: str) -> str:
    return salted_hmac(
        "sulh.enrolment", f"{user.pk}\x1f{normalise_code(code)}", algorithm="sha256"
    ).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def enrolment_code_issue(*, user: User, actor: User | None = None) -> str:
    """A new one-time enrolment code for ``user`` (returned once, stored as a hash).

    It replaces any code issued before, and removes the account's authenticator: this is
    also how a lost one is reset. The account cannot pass the second step until it enrols.
    """
    if not user.is_active:
        raise ValidationFailed("this account is deactivated", field="username")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    hours = settings.SULH_ENROLMENT_CODE_HOURS
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        issued = EnrolmentCode.objects.create(
            user=user,
            code_hash=_code_hash(user, code),
            issued_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
        state = _state(user, lock=True)
        state.totp_secret, state.totp_last_step = "", 0
        state.save(update_fields=["totp_secret", "totp_last_step"])
        second_factor_changed.fire(
            SecondFactorChange(kind="code_issued", user=user, actor=actor, code_id=issued.pk)
        )
    return f"{code[:5]}-{code[5:]}"


def enrolment_code_pending(user: User) -> bool:
    return EnrolmentCode.objects.filter(
        user=user, used_at=None, expires_at__gt=timezone.now()
    ).exists()


def enrolment_code_check(*, user: User, code: str) -> int | None:
    """The id of ``user``'s valid unused code ``code`` (None: wrong, used or expired)."""
    found = EnrolmentCode.objects.filter(
        user=user, code_hash=_code_hash(user, code), used_at=None, expires_at__gt=timezone.now()
    ).first()
    return found.pk if found else None


def totp_enrol_with_code(*, user: User, code_id: int, secret: str, code: str) -> bool:
    """Enrol ``secret`` for ``user`` if ``code`` is its current TOTP code and the enrolment
    code ``code_id`` is still unused (it is used up now, once, even by two racing sessions)."""
    with transaction.atomic():
        used = EnrolmentCode.objects.filter(
            pk=code_id, user=user, used_at=None, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
        if used != 1:
            return False
        if not totp_check(user, code, secret=secret):
            transaction.set_rollback(True)
            return False
        second_factor_changed.fire(
            SecondFactorChange(kind="enrolled", user=user, actor=user, code_id=code_id)
        )
    return True


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
