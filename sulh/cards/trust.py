"""Trust lists: an offline root key certifies short-lived per-station signing keys.

Verifiers receive a **trust list** (JSON) signed by the root: for each station
key its key id, public key (P-256, uncompressed point, base64url), station and
validity. Rotation adds keys; old keys stay listed while cards they signed are in
date, so rotation invalidates nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sulh.keys.signing import (
    b64u,
    canonical,
    key_id,
    public_bytes,
    public_from_bytes,
    sign_raw,
    unb64u,
    verify_raw,
)

TRUST_LIST_FORMAT = "sulh-trust-list/1"


@dataclass(frozen=True)
class StationKey:
    station: str
    private: ec.EllipticCurvePrivateKey
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def kid(self) -> bytes:
        return key_id(self.private.public_key())

    def entry(self) -> dict[str, str]:
        return {
            "kid": b64u(self.kid),
            "station": self.station,
            "public_key": b64u(public_bytes(self.private.public_key())),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
        }


def trust_list_sign(
    *,
    root: ec.EllipticCurvePrivateKey,
    keys: list[StationKey],
    issued_at: dt.datetime,
    programs: dict[int, str] | None = None,
    extensions: dict[int, tuple[dt.datetime, dt.datetime]] | None = None,
    publication_key: ec.EllipticCurvePublicKey | None = None,
) -> dict[str, Any]:
    """The signed trust list: station keys, the program each card code names, and
    validity extensions (program code -> (issued before, valid until))."""
    body = {
        "format": TRUST_LIST_FORMAT,
        "issued_at": issued_at.isoformat(),
        "root_public_key": b64u(public_bytes(root.public_key())),
        "programs": {str(code): name for code, name in sorted((programs or {}).items())},
        "keys": [k.entry() for k in keys],
        **(
            {"publication_key": b64u(public_bytes(publication_key))}
            if publication_key is not None
            else {}
        ),
        "extensions": {
            str(code): {"issued_before": before.isoformat(), "valid_until": until.isoformat()}
            for code, (before, until) in sorted((extensions or {}).items())
        },
    }
    return {**body, "signature": b64u(sign_raw(root, canonical(body)))}


class TrustListError(ValueError):
    pass


@dataclass(frozen=True)
class TrustedKey:
    station: str
    public: ec.EllipticCurvePublicKey
    not_before: dt.datetime
    not_after: dt.datetime


@dataclass(frozen=True)
class TrustList:
    keys: dict[bytes, TrustedKey]
    programs: dict[int, str]
    root_public_key: bytes
    extensions: dict[int, tuple[dt.datetime, dt.datetime]] = field(default_factory=dict)
    publication_key: bytes | None = None  # signs status lists and log heads, online

    @property
    def status_signer(self) -> bytes:
        """The key the status list must be signed with: the certified publication key, or
        (lists without one) the root itself."""
        return self.publication_key or self.root_public_key


def trust_list_load(document: dict[str, Any], *, root_public_key: bytes | None = None) -> TrustList:
    """Check the root's signature (and pin, when given); the station keys by kid, the programs."""
    try:
        body = {k: v for k, v in document.items() if k != "signature"}
        root = public_from_bytes(unb64u(body["root_public_key"]))
        if root_public_key is not None and public_bytes(root) != root_public_key:
            raise TrustListError("the trust list is signed by another root than the pinned one")
        if body.get("format") != TRUST_LIST_FORMAT:
            raise TrustListError("not a Sulh trust list")
        if not verify_raw(root, unb64u(document["signature"]), canonical(body)):
            raise TrustListError("the trust list's signature does not verify")
        keys = {
            unb64u(entry["kid"]): TrustedKey(
                station=entry["station"],
                public=public_from_bytes(unb64u(entry["public_key"])),
                not_before=dt.datetime.fromisoformat(entry["not_before"]),
                not_after=dt.datetime.fromisoformat(entry["not_after"]),
            )
            for entry in body["keys"]
        }
        programs = {int(code): str(name) for code, name in body.get("programs", {}).items()}
        extensions = {
            int(code): (
                dt.datetime.fromisoformat(entry["issued_before"]),
                dt.datetime.fromisoformat(entry["valid_until"]),
            )
            for code, entry in body.get("extensions", {}).items()
        }
        publication = body.get("publication_key")
        return TrustList(
            keys=keys,
            programs=programs,
            root_public_key=public_bytes(root),
            extensions=extensions,
            publication_key=public_bytes(public_from_bytes(unb64u(publication)))
            if publication
            else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TrustListError):
            raise
        raise TrustListError(f"malformed trust list: {exc}") from None
