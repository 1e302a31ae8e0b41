"""The card format: CWT claims in a COSE_Sign1 (ES256), zlib, Base45, prefix ``SULH1:``.

The shape of the EU Digital COVID Certificate (HC1), with our own prefix and
claims; docs/card-format.md describes it for other verifier authors.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.base45 import b45encode
from sulh.cards.keys import sign_raw

PREFIX = "SULH1:"
ALG_ES256 = -7
HEADER_ALG, HEADER_KID = 1, 4
# CWT claims (RFC 8392) and the Token Status List claim.
CLAIM_ISS, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CTI = 1, 4, 5, 6, 7
CLAIM_STATUS = 65535
# Sulh's private claim: the card body.
CLAIM_CARD = -70001
COSE_SIGN1_TAG = 18


@dataclass(frozen=True)
class Holder:
    """Only what binds card to bearer: never category, affiliation, weapons or decision."""

    name_ar: str
    name_lat: str
    birth_year: int | None
    photo_ref: str = ""


@dataclass(frozen=True)
class CardClaims:
    card_id: bytes
    program: str
    station: str
    issued_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    status_index: int
    holder: Holder

    def to_cbor_map(self) -> dict[int, Any]:
        holder: dict[str, Any] = {"n": self.holder.name_ar, "l": self.holder.name_lat}
        if self.holder.birth_year:
            holder["y"] = self.holder.birth_year
        if self.holder.photo_ref:
            holder["ph"] = self.holder.photo_ref
        return {
            CLAIM_ISS: self.station,
            CLAIM_IAT: int(self.issued_at.timestamp()),
            CLAIM_NBF: int(self.valid_from.timestamp()),
            CLAIM_EXP: int(self.valid_until.timestamp()),
            CLAIM_CTI: self.card_id,
            CLAIM_STATUS: {"status_list": {"idx": self.status_index}},
            CLAIM_CARD: {"p": self.program, "h": holder},
        }


def new_card_id() -> bytes:
    return secrets.token_bytes(12)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def encode_card(claims: CardClaims, *, key: ec.EllipticCurvePrivateKey, kid: bytes) -> str:
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    payload = cbor2.dumps(claims.to_cbor_map())
    signature = sign_raw(key, sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + b45encode(zlib.compress(message, 9))
