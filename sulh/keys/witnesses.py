"""A destruction witness's key: Ed25519, made on the witness's own device; the site enrols
the public half (``sulh custody witness-enrol``) as it enrols a monitor's, and checks every
witness signature on a destruction batch's document with it. Pure.

Private file: one PEM PKCS#8 Ed25519 key. Public file: JSON
``{"format": "sulh-witness-key/1", "name", "signing_key"}`` (raw key, base64url). A
witness signs ``"sulh-destruction/1" || 0x00 || canonical JSON of the batch document``.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sulh.keys.signing import b64u, canonical, unb64u

KEY_FORMAT = "sulh-witness-key/1"
_SIGNED = b"sulh-destruction/1\x00"


class WitnessKeyError(ValueError):
    """A witness key file that is not what it should be."""


def witness_generate() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def witness_private_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def witness_private_load(data: bytes) -> ed25519.Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, None)
    except (ValueError, TypeError) as exc:
        raise WitnessKeyError(f"the witness's private key does not load: {exc}") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise WitnessKeyError("a witness's private key is an Ed25519 key")
    return key


def witness_public(key: ed25519.Ed25519PrivateKey, name: str) -> dict[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"format": KEY_FORMAT, "name": name, "signing_key": b64u(raw)}


def witness_public_parse(document: Any) -> dict[str, str]:
    if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
        raise WitnessKeyError(f"a witness's public key is a {KEY_FORMAT} JSON document")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise WitnessKeyError("name: a witness's public key names the witness (1-80 characters)")
    value = document.get("signing_key")
    try:
        if not isinstance(value, str) or len(unb64u(value)) != 32:
            raise ValueError
    except ValueError:
        raise WitnessKeyError("signing_key: not a 32-byte base64url public key") from None
    return {"format": KEY_FORMAT, "name": name.strip(), "signing_key": value}


def witness_sign(key: ed25519.Ed25519PrivateKey, document: dict[str, Any]) -> str:
    return b64u(key.sign(_SIGNED + canonical(document)))


def witness_verify(signing_key: str, document: dict[str, Any], signature: str) -> bool:
    try:
        public = ed25519.Ed25519PublicKey.from_public_bytes(unb64u(signing_key))
        public.verify(unb64u(signature), _SIGNED + canonical(document))
    except (InvalidSignature, ValueError):
        return False
    return True
