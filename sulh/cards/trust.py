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
    MessageSigner,
    as_signer,
    b64u,
    canonical,
    key_id,
    public_bytes,
    public_from_bytes,
    unb64u,
    verify_raw,
)

TRUST_LIST_FORMAT = "sulh-trust-list/2"
# Lists carry a sequence that grows with every list signed for a root: Sulh uses the
# signing time in milliseconds since 1970 (signing writes nothing), verifiers only compare.


def list_sequence(issued_at: dt.datetime) -> int:
    return int(issued_at.timestamp() * 1000)


@dataclass(frozen=True)
class StationKey:
    """A station key as the trust list lists it: the site passes only its public half (the
    private half may be inside a token); the demo and test vectors pass a private key."""

    station: str
    key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.public_key()
        return self.key

    @property
    def private(self) -> ec.EllipticCurvePrivateKey:
        if not isinstance(self.key, ec.EllipticCurvePrivateKey):
            raise TypeError("this station key holds its public half only")
        return self.key

    @property
    def kid(self) -> bytes:
        return key_id(self.public)

    def entry(self) -> dict[str, str]:
        return {
            "kid": b64u(self.kid),
            "station": self.station,
            "public_key": b64u(public_bytes(self.public)),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
        }


def trust_list_sign(
    *,
    root: MessageSigner | ec.EllipticCurvePrivateKey,
    keys: list[StationKey],
    issued_at: dt.datetime,
    expires_at: dt.datetime | None = None,
    sequence: int | None = None,
    programs: dict[int, str] | None = None,
    extensions: dict[int, tuple[dt.datetime, dt.datetime]] | None = None,
    publication_key: ec.EllipticCurvePublicKey | None = None,
    policies: dict[int, ProgramPolicy] | None = None,
    monitors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The signed trust list: station keys, the program each card code names, validity
    extensions (program code -> (issued before, valid until)) and what checkpoints apply
    to each program's cards (``policies``: time zone, freshness rule, what a card grants)."""
    root = as_signer(root)
    body = {
        "format": TRUST_LIST_FORMAT,
        "issued_at": issued_at.isoformat(),
        "sequence": list_sequence(issued_at) if sequence is None else sequence,
        "expires_at": (expires_at or issued_at + dt.timedelta(days=TRUST_LIST_DAYS)).isoformat(),
        "root_public_key": b64u(public_bytes(root.public_key)),
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
        **(
            {"policies": {str(code): p.entry() for code, p in sorted(policies.items())}}
            if policies
            else {}
        ),
        # The accredited monitors the root enrolled: their keys for openings and attestations.
        **({"monitors": monitors} if monitors else {}),
    }
    return {**body, "signature": b64u(root.sign(canonical(body)))}


TRUST_LIST_DAYS = 30  # a list signed online; the certification gives its own
# A program's freshness rule when its trust list names none (docs/card-format.md).
STATUS_MAX_AGE_HOURS = 24


@dataclass(frozen=True)
class ProgramPolicy:
    """What a checkpoint applies to one program's cards, from the program file: the time
    zone its times are shown in, how old a status list may be before a valid card shows
    in amber, and what the card grants (Arabic, English)."""

    timezone: str = "UTC"
    status_max_age_hours: int = STATUS_MAX_AGE_HOURS
    grants_ar: str = ""
    grants_en: str = ""

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "timezone": self.timezone,
            "status_max_age_hours": self.status_max_age_hours,
        }
        if self.grants_ar or self.grants_en:
            out["grants"] = {"ar": self.grants_ar, "en": self.grants_en}
        return out

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ProgramPolicy:
        grants = entry.get("grants") or {}
        hours = entry.get("status_max_age_hours", STATUS_MAX_AGE_HOURS)
        if type(hours) is not int or hours < 1:
            raise ValueError("status_max_age_hours: must be a whole number of hours")
        return cls(
            timezone=str(entry.get("timezone") or "UTC"),
            status_max_age_hours=hours,
            grants_ar=str(grants.get("ar", "")),
            grants_en=str(grants.get("en", "")),
        )


class TrustListError(ValueError):
    pass


class UntrustedRoot(TrustListError):
    """The list is signed by another root than the one the verifier pins."""


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
    sequence: int = 0
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    policies: dict[int, ProgramPolicy] = field(default_factory=dict)

    def policy(self, program: int) -> ProgramPolicy:
        return self.policies.get(program, ProgramPolicy())

    @property
    def status_signer(self) -> bytes:
        """The key the status list must be signed with: the certified publication key, or
        (lists without one) the root itself."""
        return self.publication_key or self.root_public_key


def trust_list_load(document: dict[str, Any], *, root_public_key: bytes) -> TrustList:
    """Check the signature by the pinned root (a list naming another root is refused with
    ``UntrustedRoot``); the station keys by kid, the programs, the sequence and expiry."""
    try:
        body = {k: v for k, v in document.items() if k != "signature"}
        root = public_from_bytes(root_public_key)
        if unb64u(body["root_public_key"]) != root_public_key:
            raise UntrustedRoot("the trust list is signed by another root than the pinned one")
        if body.get("format") != TRUST_LIST_FORMAT:
            raise TrustListError(
                f"not a {TRUST_LIST_FORMAT} list (an older one has no sequence or expiry: "
                "have it signed again)"
            )
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
        policies = {
            int(code): ProgramPolicy.from_entry(entry)
            for code, entry in body.get("policies", {}).items()
        }
        return TrustList(
            policies=policies,
            keys=keys,
            programs=programs,
            root_public_key=public_bytes(root),
            extensions=extensions,
            publication_key=public_bytes(public_from_bytes(unb64u(publication)))
            if publication
            else None,
            sequence=sequence_of(body["sequence"]),
            issued_at=dt.datetime.fromisoformat(body["issued_at"]),
            expires_at=dt.datetime.fromisoformat(body["expires_at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TrustListError):
            raise
        raise TrustListError(f"malformed trust list: {exc}") from None


def sequence_of(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("sequence: must be a whole number")
    return value
