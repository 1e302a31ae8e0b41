"""Rate limits and failure back-off, counted in the database (every worker sees the same
counts, on SQLite and PostgreSQL).

Two kinds of counting, each under a keyed hash of what is counted (a client address, a
username, an account's second step), so the table holds no address or username in clear:

- a **rate limit**: at most ``limit`` requests in a window of ``period`` seconds; beyond
  it, ``RateLimited`` (429 with Retry-After);
- a **back-off**: failures in a row, the first ``free`` of them without a wait, then a wait
  that doubles from one second up to a cap. There is never a lockout: the longest a
  stranger can make anyone wait is the cap, and a success or a quiet day clears it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sulh.accounts.models import Throttle
from sulh.core.errors import RateLimited


def throttle_key(scope: str, value: str) -> str:
    """The stored key for ``value`` counted in ``scope`` (keyed: not reversible from a list
    of addresses or usernames without the site's secret key)."""
    return salted_hmac("sulh.throttle", f"{scope}\x1f{value}", algorithm="sha256").hexdigest()


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address: REMOTE_ADDR, or the entry the trusted proxies appended to
    X-Forwarded-For. An IPv6 client counts by its /64 (one host holds the whole block)."""
    address = str(meta.get("REMOTE_ADDR") or "")
    proxies = settings.SULH_TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _row(key: str, now: dt.datetime) -> Throttle:
    """The row for ``key``, locked for this transaction (created when new)."""
    try:
        with transaction.atomic():
            Throttle.objects.get_or_create(
                key=key, defaults={"window_start": now, "updated_at": now}
            )
    except IntegrityError:  # another worker made it first
        pass
    return Throttle.objects.select_for_update().get(key=key)


def rate_limit_hit(*, scope: str, client: str, limit: int, period: int | None = None) -> None:
    """Count one request of ``client`` in ``scope``; raise ``RateLimited`` beyond ``limit``."""
    period = period or settings.SULH_RATE_PERIOD
    now = timezone.now()
    with transaction.atomic():
        row = _row(throttle_key(f"rate:{scope}", client), now)
        if row.window_start <= now - dt.timedelta(seconds=period):
            row.window_start, row.hits = now, 0
        row.hits += 1
        row.updated_at = now
        row.save(update_fields=["window_start", "hits", "updated_at"])
    if row.hits > limit:
        left = (row.window_start + dt.timedelta(seconds=period) - now).total_seconds()
        raise RateLimited(retry_after=max(1, math.ceil(left)))


def backoff_wait(key: str) -> int:
    """Seconds ``key`` must still wait before its next attempt counts (0: go ahead)."""
    row = Throttle.objects.filter(key=key).only("wait_until").first()
    if row is None or row.wait_until is None:
        return 0
    return max(0, math.ceil((row.wait_until - timezone.now()).total_seconds()))


def backoff_delay(failures: int, *, free: int, cap: int) -> int:
    """The wait after ``failures`` in a row: none for the first ``free``, then 1, 2, 4 …
    seconds up to ``cap``."""
    if failures <= free:
        return 0
    return int(min(cap, 2 ** min(failures - free - 1, 30)))


def backoff_failure(key: str, *, free: int, cap: int) -> int:
    """Count a failure for ``key``; return the wait it now has."""
    now = timezone.now()
    memory = dt.timedelta(seconds=settings.SULH_FAILURE_MEMORY)
    with transaction.atomic():
        row = _row(key, now)
        if row.updated_at <= now - memory:
            row.failures = 0
        row.failures += 1
        delay = backoff_delay(row.failures, free=free, cap=cap)
        row.wait_until = now + dt.timedelta(seconds=delay) if delay else None
        row.updated_at = now
        row.save(update_fields=["failures", "wait_until", "updated_at"])
    return delay


def backoff_clear(key: str) -> None:
    Throttle.objects.filter(key=key).update(failures=0, wait_until=None)


def throttle_forget() -> int:
    """Delete rows untouched for longer than the failure memory (called now and then)."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SULH_FAILURE_MEMORY)
    deleted, _ = Throttle.objects.filter(updated_at__lt=cutoff).delete()
    return deleted


__all__ = [
    "RateLimited",
    "backoff_clear",
    "backoff_delay",
    "backoff_failure",
    "backoff_wait",
    "client_address",
    "rate_limit_hit",
    "throttle_forget",
    "throttle_key",
]
