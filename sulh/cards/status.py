"""Revocation: a signed status list in the shape of the IETF Token Status List.

Two bits per card index (0 valid, 1 revoked, 2 suspended), the byte array
DEFLATE-compressed and base64url-encoded, signed by the root key (ES256 over the
canonical JSON of the list).
"""

from __future__ import annotations

import datetime as dt
import zlib
from enum import IntEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sulh.keys.signing import b64u, canonical, public_from_bytes, sign_raw, unb64u, verify_raw

BITS = 2
MAX_STATUS_BYTES = 1 << 22  # 16 million cards at two bits each


class CardStatus(IntEnum):
    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


class StatusList:
    def __init__(self, size: int = 1024, data: bytes | None = None) -> None:
        self.data = bytearray(data if data is not None else bytes((size * BITS + 7) // 8))

    def _locate(self, index: int) -> tuple[int, int]:
        if index < 0 or index * BITS // 8 >= len(self.data):
            raise IndexError(f"status index {index} is outside the list")
        return index * BITS // 8, (index * BITS) % 8

    def get(self, index: int) -> CardStatus:
        byte, shift = self._locate(index)
        return CardStatus((self.data[byte] >> shift) & 0b11)

    def set(self, index: int, status: CardStatus) -> None:
        byte, shift = self._locate(index)
        self.data[byte] = (self.data[byte] & ~(0b11 << shift) & 0xFF) | (int(status) << shift)

    def signed(
        self, *, root: ec.EllipticCurvePrivateKey, issued_at: dt.datetime, uri: str
    ) -> dict[str, Any]:
        body = {
            "status_list": {"bits": BITS, "lst": b64u(zlib.compress(bytes(self.data), 9))},
            "uri": uri,
            "issued_at": issued_at.isoformat(),
        }
        return {**body, "signature": b64u(sign_raw(root, canonical(body)))}


class StatusListError(ValueError):
    pass


def status_list_load(document: dict[str, Any], *, public_key: bytes) -> StatusList:
    """Check the signature (by the trust list's ``status_signer``) and read the list."""
    try:
        body = {k: v for k, v in document.items() if k != "signature"}
        if not verify_raw(
            public_from_bytes(public_key), unb64u(document["signature"]), canonical(body)
        ):
            raise StatusListError("the status list's signature does not verify")
        inflater = zlib.decompressobj()
        data = inflater.decompress(unb64u(body["status_list"]["lst"]), MAX_STATUS_BYTES)
        if inflater.unconsumed_tail:
            raise StatusListError("the status list is larger than allowed")
        return StatusList(data=data)
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        if isinstance(exc, StatusListError):
            raise
        raise StatusListError(f"malformed status list: {exc}") from None
