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

from sulh.cards.trust import list_sequence, sequence_of
from sulh.keys.signing import (
    MessageSigner,
    as_signer,
    b64u,
    canonical,
    public_from_bytes,
    unb64u,
    verify_raw,
)

BITS = 2
MAX_STATUS_BYTES = 1 << 22  # 16 million cards at two bits each
STATUS_LIST_FORMAT = "sulh-status-list/1"
STATUS_LIST_HOURS = 48  # how long a checkpoint may go on using a list it fetched


class CardStatus(IntEnum):
    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


class StatusList:
    def __init__(
        self,
        size: int = 1024,
        data: bytes | None = None,
        *,
        sequence: int = 0,
        issued_at: dt.datetime | None = None,
        expires_at: dt.datetime | None = None,
    ) -> None:
        self.data = bytearray(data if data is not None else bytes((size * BITS + 7) // 8))
        # Set on a list read from a signed document (status_list_load).
        self.sequence, self.issued_at, self.expires_at = sequence, issued_at, expires_at

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
        self,
        *,
        root: MessageSigner | ec.EllipticCurvePrivateKey,
        issued_at: dt.datetime,
        uri: str,
        expires_at: dt.datetime | None = None,
        sequence: int | None = None,
    ) -> dict[str, Any]:
        body = {
            "format": STATUS_LIST_FORMAT,
            "status_list": {"bits": BITS, "lst": b64u(zlib.compress(bytes(self.data), 9))},
            "uri": uri,
            "issued_at": issued_at.isoformat(),
            "sequence": list_sequence(issued_at) if sequence is None else sequence,
            "expires_at": (
                expires_at or issued_at + dt.timedelta(hours=STATUS_LIST_HOURS)
            ).isoformat(),
        }
        return {**body, "signature": b64u(as_signer(root).sign(canonical(body)))}


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
        if body.get("format") != STATUS_LIST_FORMAT:
            raise StatusListError(f"not a {STATUS_LIST_FORMAT} list (no sequence or expiry)")
        inflater = zlib.decompressobj()
        data = inflater.decompress(unb64u(body["status_list"]["lst"]), MAX_STATUS_BYTES)
        if inflater.unconsumed_tail:
            raise StatusListError("the status list is larger than allowed")
        return StatusList(
            data=data,
            sequence=sequence_of(body["sequence"]),
            issued_at=dt.datetime.fromisoformat(body["issued_at"]),
            expires_at=dt.datetime.fromisoformat(body["expires_at"]),
        )
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        if isinstance(exc, StatusListError):
            raise
        raise StatusListError(f"malformed status list: {exc}") from None
