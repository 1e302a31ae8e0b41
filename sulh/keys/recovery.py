"""m-of-n recovery of the key-encryption key (Shamir's secret sharing, pycryptodome).

A site whose key-encryption key lives on one removable medium loses every sealed value
with it. ``kek_split`` gives ``n`` shares of which any ``m`` make the key again; fewer say
nothing about it. Each share is a line of text for one custodian:
``sulh-kek:<m>:<index>:<check>:<hex>``, where ``check`` (four bytes of the key's SHA-256)
tells a wrong or altered combination from the key. The 32-byte key is shared as two
16-byte halves (the library's secret size), each with its own random polynomial.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from Crypto.Protocol.SecretSharing import Shamir

from sulh.core.errors import ValidationFailed

PREFIX = "sulh-kek"
MAX_SHARES = 255  # GF(2^8): indices 1..255


def _check(key: bytes) -> str:
    return hashlib.sha256(b"sulh-kek-check" + key).hexdigest()[:8]


def kek_split(key: bytes, *, shares: int, threshold: int) -> list[str]:
    """``shares`` lines of text, any ``threshold`` of which make ``key`` again."""
    if not 2 <= shares <= MAX_SHARES:
        raise ValidationFailed(f"must be between 2 and {MAX_SHARES}", field="shares")
    if not 2 <= threshold <= shares:
        raise ValidationFailed(f"must be between 2 and the shares ({shares})", field="threshold")
    if len(key) != 32:
        raise ValidationFailed("the key-encryption key must be 32 bytes", field="key")
    left = Shamir.split(threshold, shares, key[:16], False)
    right = Shamir.split(threshold, shares, key[16:], False)
    check = _check(key)
    return [
        f"{PREFIX}:{threshold}:{index}:{check}:{(a + b).hex()}"
        for (index, a), (_, b) in zip(left, right, strict=True)
    ]


def kek_combine(lines: Iterable[str]) -> bytes:
    """The key from enough shares; a clear error naming ``shares`` otherwise."""
    parsed: dict[int, bytes] = {}
    thresholds, checks = set(), set()
    for number, line in enumerate((t.strip() for t in lines if t.strip()), start=1):
        parts = line.split(":")
        try:
            if len(parts) != 5 or parts[0] != PREFIX:
                raise ValueError
            threshold, index, check, body = int(parts[1]), int(parts[2]), parts[3], parts[4]
            blob = bytes.fromhex(body)
            if len(blob) != 32 or not 1 <= index <= MAX_SHARES:
                raise ValueError
        except ValueError:
            raise ValidationFailed(
                f"share {number} is not a share of a key-encryption key", field="shares"
            ) from None
        thresholds.add(threshold)
        checks.add(check)
        parsed[index] = blob
    if len(thresholds) > 1 or len(checks) > 1:
        raise ValidationFailed("these shares are of different splits", field="shares")
    if not parsed:
        raise ValidationFailed("no share given", field="shares")
    (need,) = thresholds
    if len(parsed) < need:
        raise ValidationFailed(f"{len(parsed)} shares given, {need} needed", field="shares")
    chosen = sorted(parsed.items())[:need]
    left = Shamir.combine([(i, b[:16]) for i, b in chosen], False)
    key = left + Shamir.combine([(i, b[16:]) for i, b in chosen], False)
    if _check(key) != checks.pop():
        raise ValidationFailed("these shares do not make the key (one is altered)", field="shares")
    return key
