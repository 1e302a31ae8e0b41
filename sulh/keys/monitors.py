"""An accredited monitor's keys: X25519 for the openings encrypted to it (HPKE) and Ed25519
for its attestations. Pure: the site enrols the public halves, the monitor keeps the
private ones on its own machine.

The private file is PEM with both PKCS#8 blocks (X25519 first); the public file is JSON
``{"format": "sulh-monitor-key/1", "name", "encryption_key", "signing_key"}`` (raw public
keys, base64url), which the root ceremony enrols and the trust list names.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sulh.keys.signing import b64u, unb64u

KEY_FORMAT = "sulh-monitor-key/1"


class MonitorKeyError(ValueError):
    """A key file that is not what it should be."""


class MonitorKeys:
    """A monitor's two private keys, as read from their PEM file."""

    def __init__(
        self, encryption: x25519.X25519PrivateKey, signing: ed25519.Ed25519PrivateKey
    ) -> None:
        self.encryption = encryption
        self.signing = signing

    @classmethod
    def generate(cls) -> MonitorKeys:
        return cls(x25519.X25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> MonitorKeys:
        blocks = [
            block + b"-----END PRIVATE KEY-----\n"
            for block in data.split(b"-----END PRIVATE KEY-----")
            if b"-----BEGIN PRIVATE KEY-----" in block
        ]
        if len(blocks) != 2:
            raise MonitorKeyError(
                "a monitor's private key file holds two PEM private keys (X25519, Ed25519)"
            )
        try:
            encryption = serialization.load_pem_private_key(blocks[0].strip(), None)
            signing = serialization.load_pem_private_key(blocks[1].strip(), None)
        except (ValueError, TypeError) as exc:
            raise MonitorKeyError(f"the monitor's private key file does not load: {exc}") from exc
        if not isinstance(encryption, x25519.X25519PrivateKey) or not isinstance(
            signing, ed25519.Ed25519PrivateKey
        ):
            raise MonitorKeyError("the monitor's private keys must be X25519 then Ed25519")
        return cls(encryption, signing)

    def to_pem(self) -> bytes:
        return b"".join(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            for key in (self.encryption, self.signing)
        )

    def public(self, name: str) -> dict[str, str]:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return {
            "format": KEY_FORMAT,
            "name": name,
            "encryption_key": b64u(self.encryption.public_key().public_bytes(*raw)),
            "signing_key": b64u(self.signing.public_key().public_bytes(*raw)),
        }


def monitor_public_parse(document: Any) -> dict[str, str]:
    """Check a monitor's public key document; returns it with only its known fields."""
    if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
        raise MonitorKeyError(f"a monitor's public key is a {KEY_FORMAT} JSON document")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise MonitorKeyError("name: a monitor's public key names the monitor (1-80 characters)")
    for field in ("encryption_key", "signing_key"):
        value = document.get(field)
        try:
            if not isinstance(value, str) or len(unb64u(value)) != 32:
                raise ValueError
        except ValueError:
            raise MonitorKeyError(f"{field}: not a 32-byte base64url public key") from None
    return {k: document[k] for k in ("format", "name", "encryption_key", "signing_key")}


def signing_public(document: dict[str, str]) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(unb64u(document["signing_key"]))
