"""Custody tags and receipts: signed like a card (COSE_Sign1 ES256, zlib, Base45) with
their own prefixes, so a scan with the site's trust list proves a tag or a receipt was
issued by one of its stations, offline. Pure: no Django.

A tag carries the registry number and the program; a receipt carries the program, the
intake's serial (or none, for a collective hand-in), the representative who handed a
group's items in, and one line per item: tag, kind, calibre, serviceable, counted for
eligibility. Neither carries a serial number or a person's name: a receipt's paper copy
shows them; the code only proves the paper.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.format import CLAIM_CTI, CLAIM_IAT, decode_arabic, encode_arabic, encode_signed
from sulh.cards.trust import TrustList
from sulh.cards.verify import Result, Verdict, signed_payload
from sulh.keys.signing import MessageSigner

TAG_PREFIX = "SULHT1:"
RECEIPT_PREFIX = "SULHR1:"
# Sulh's private claims (RFC 8392 private-use range), beside the card's -70001.
CLAIM_TAG = -70010
CLAIM_RECEIPT = -70011
ID_BYTES = 6


def new_document_id() -> bytes:
    return secrets.token_bytes(ID_BYTES)


@dataclass(frozen=True)
class TagClaims:
    tag_id: bytes
    number: str  # the registry number printed beside the code
    program: int
    issued_at: dt.datetime

    def to_cbor_map(self) -> dict[int, Any]:
        return {
            CLAIM_IAT: int(self.issued_at.timestamp()),
            CLAIM_CTI: self.tag_id,
            CLAIM_TAG: [self.number, self.program],
        }


@dataclass(frozen=True)
class ReceiptLine:
    tag: str
    kind: str
    calibre: str
    serviceable: bool
    counted: bool  # counted for the person's eligibility


@dataclass(frozen=True)
class ReceiptClaims:
    receipt_id: bytes
    program: int
    intake: str  # the intake's serial; empty for a collective receipt
    representative: str  # who handed a group's items in; empty for a person's own
    issued_at: dt.datetime
    lines: tuple[ReceiptLine, ...]

    def to_cbor_map(self) -> dict[int, Any]:
        lines = [[x.tag, x.kind, x.calibre, x.serviceable, x.counted] for x in self.lines]
        body = [self.program, self.intake, encode_arabic(self.representative), lines]
        return {
            CLAIM_IAT: int(self.issued_at.timestamp()),
            CLAIM_CTI: self.receipt_id,
            CLAIM_RECEIPT: body,
        }


Key = MessageSigner | ec.EllipticCurvePrivateKey


def encode_tag(claims: TagClaims, *, key: Key, kid: bytes) -> str:
    return encode_signed(claims.to_cbor_map(), prefix=TAG_PREFIX, key=key, kid=kid)


def encode_receipt(claims: ReceiptClaims, *, key: Key, kid: bytes) -> str:
    return encode_signed(claims.to_cbor_map(), prefix=RECEIPT_PREFIX, key=key, kid=kid)


def _opened(
    text: str, *, prefix: str, what: str, trusted: TrustList, now: dt.datetime | None
) -> tuple[dict[int, Any], str] | Result:
    """The claims of a signed tag or receipt and the station that signed it."""
    now = now or dt.datetime.now(dt.UTC)
    if trusted.expires_at is not None and now > trusted.expires_at:
        return Result(
            Verdict.TRUST_STALE,
            f"the trust list expired on {trusted.expires_at.isoformat()}: get a current one",
        )
    opened = signed_payload(text, prefix=prefix, trusted=trusted, what=what)
    if isinstance(opened, Result):
        return opened
    payload, key = opened
    try:
        claims = cbor2.loads(payload)
    except Exception:  # hostile CBOR raises several types
        claims = None
    if not isinstance(claims, dict):
        return Result(Verdict.MALFORMED, f"the signed claims are not a Sulh {what}")
    return claims, key.station


def verify_tag(text: str, *, trusted: TrustList, now: dt.datetime | None = None) -> Result:
    """VALID with the tag's number, program and station, or the verdict that refuses it."""
    opened = _opened(text, prefix=TAG_PREFIX, what="tag", trusted=trusted, now=now)
    if isinstance(opened, Result):
        return opened
    claims, station = opened
    try:
        number, program = claims[CLAIM_TAG]
        tag = {
            "tag_id": claims[CLAIM_CTI].hex(),
            "number": str(number),
            "program": int(program),
            "station": station,
            "issued_at": dt.datetime.fromtimestamp(claims[CLAIM_IAT], dt.UTC),
        }
    except Exception:  # hostile claims raise several types
        return Result(Verdict.MALFORMED, "the signed claims are not a Sulh tag")
    return Result(Verdict.VALID, f"tag {tag['number']} issued by {station}", card=tag)


def verify_receipt(text: str, *, trusted: TrustList, now: dt.datetime | None = None) -> Result:
    """VALID with the receipt's lines, or the verdict that refuses it."""
    opened = _opened(text, prefix=RECEIPT_PREFIX, what="receipt", trusted=trusted, now=now)
    if isinstance(opened, Result):
        return opened
    claims, station = opened
    try:
        program, intake, representative, lines = claims[CLAIM_RECEIPT]
        receipt = {
            "receipt_id": claims[CLAIM_CTI].hex(),
            "program": int(program),
            "intake": str(intake),
            "representative": decode_arabic(representative),
            "station": station,
            "issued_at": dt.datetime.fromtimestamp(claims[CLAIM_IAT], dt.UTC),
            "lines": [
                ReceiptLine(str(t), str(k), str(c), bool(s), bool(n)) for t, k, c, s, n in lines
            ],
        }
    except Exception:  # hostile claims raise several types
        return Result(Verdict.MALFORMED, "the signed claims are not a Sulh receipt")
    return Result(Verdict.VALID, f"receipt signed by {station}", card=receipt)
