"""Signing primitives: ES256 over P-256 as COSE and JWS want it, key ids, base64url and
canonical JSON. Pure: the card format, the trust and status lists and the transparency
log's tree heads all sign and verify with these, with no Django in sight.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_from_bytes(data: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)


KID_BYTES = 4


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """The first 4 bytes of SHA-256 over the public point: the kid in the card's header.

    Four bytes keep the card small; the issuer refuses a new key whose kid is taken.
    """
    return hashlib.sha256(public_bytes(key)).digest()[:KID_BYTES]


_ES256 = ec.ECDSA(hashes.SHA256())


def sign_raw(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ES256 signature as COSE and JWS want it: r || s, 32 bytes each."""
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@runtime_checkable
class MessageSigner(Protocol):
    """Whatever signs: a key held in this process (development, the demo, test vectors) or
    one inside a PKCS#11 token (``sulh.keys.token``). Every signature the site makes goes
    through one of these."""

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey: ...

    def sign(self, message: bytes) -> bytes:
        """ES256 over ``message``: r || s, 32 bytes each."""
        ...


class LocalSigner:
    """A P-256 private key held in this process."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        return sign_raw(self._key, message)


def as_signer(key: MessageSigner | ec.EllipticCurvePrivateKey) -> MessageSigner:
    """A signer for ``key``: a bare private key (the demo, test vectors) is wrapped."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return LocalSigner(key)
    return key


def verify_raw(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, message, _ES256)
    except InvalidSignature:
        return False
    return True
