"""Envelope encryption of personal fields, and keyed hashes for lookups.

Each value is sealed with AES-256-GCM under the keyring's active data key; the field's
context (``registry.Person.given_name_ar``) is bound as associated data, so a ciphertext
moved to another column does not open. Plain text is padded to a length bucket before
sealing (``_pad``), so a ciphertext's length does not tell a 3-letter name from an
11-letter one. Every token names its key id, so keys rotate
without re-encrypting at once, and destroying the keyring makes every sealed value
unreadable (site abandon).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sulh.keys.keyring import NONCE_BYTES, Keyring, SealError, keyring, keyring_reload

TOKEN_VERSION = "v2"  # noqa: S105 - a format marker, not a secret: padded plain text
LEGACY_VERSION = "v1"  # unpadded: still opened so older rows stay readable
SEALED_PREFIXES = (f"{TOKEN_VERSION}:", f"{LEGACY_VERSION}:")
MIN_BUCKET = 32  # bytes: every short value (a name, a date, a number) seals to one length

__all__ = ["SealError", "blind_index", "derived_key", "open_sealed", "open_sealed_many", "seal"]


def seal(plaintext: str, *, context: str, min_bucket: int = MIN_BUCKET) -> str:
    """Encrypt ``plaintext`` for the column ``context``: ``v2:<kid>:<base64>``, padded to
    at least ``min_bucket`` bytes (a column whose values vary in size with what they say,
    e.g. a list of permitted destinations, pads further)."""
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _cipher(ring.data_keys[ring.active]).encrypt(
        nonce, _pad(plaintext.encode(), min_bucket), context.encode()
    )
    body = base64.b64encode(nonce + sealed).decode()
    return f"{TOKEN_VERSION}:{ring.active}:{body}"


def open_sealed(token: str, *, context: str) -> str:
    return _open(keyring(), token, context)


def open_sealed_many(tokens: Sequence[str], contexts: Sequence[str]) -> list[str]:
    """``open_sealed`` of each token in its context, the keyring looked up once; an empty
    token (a field left blank) stays empty."""
    ring = keyring()
    return [
        _open(ring, token, context) if token else ""
        for token, context in zip(tokens, contexts, strict=True)
    ]


def _open(ring: Keyring, token: str, context: str) -> str:
    version, _, rest = token.partition(":")
    kid, _, body = rest.partition(":")
    if version not in (TOKEN_VERSION, LEGACY_VERSION) or not body:
        raise SealError(f"not a sealed value for {context}", field=context)
    key = ring.data_keys.get(kid)
    if key is None and kid:
        key = keyring_reload().data_keys.get(kid)  # rotated by another process since we loaded
    if key is None:
        raise SealError(f"the key of a value in {context} is not in the keyring", field=context)
    blob = base64.b64decode(body)
    try:
        plain = _cipher(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise SealError(f"a value in {context} was altered or moved", field=context) from None
    if version == TOKEN_VERSION:
        plain = _unpad(plain, context)
    return plain.decode()


def _bucket(length: int, minimum: int = MIN_BUCKET) -> int:
    """The padded length for ``length`` bytes: at least ``minimum``, then the next power
    of two up to 4 KiB, then the next multiple of 4 KiB (long JSON stays within 2x)."""
    if length <= minimum:
        return minimum
    if length <= 4096:
        return 1 << (length - 1).bit_length()
    return -(-length // 4096) * 4096


def _pad(data: bytes, minimum: int = MIN_BUCKET) -> bytes:
    """``data``, a 0x80 marker, then zeros up to the bucket (ISO/IEC 7816-4 padding)."""
    padded = data + b"\x80"
    return padded + b"\x00" * (_bucket(len(padded), minimum) - len(padded))


def _unpad(data: bytes, context: str) -> bytes:
    body = data.rstrip(b"\x00")
    if not body.endswith(b"\x80"):
        raise SealError(f"a value in {context} has no padding marker", field=context)
    return body[:-1]


@lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 under a key derived for ``purpose``: equal in, equal out, no name out."""
    purpose_key = hmac.new(keyring().index_key, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(purpose_key, value.encode(), hashlib.sha256).hexdigest()


def derived_key(*, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` (e.g. matching keys), derived from the index key."""
    return hmac.new(keyring().index_key, f"derive:{purpose}".encode(), hashlib.sha256).digest()
