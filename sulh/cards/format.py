"""The card format: CWT claims in a COSE_Sign1 (ES256), zlib, Base45, prefix ``SULH1:``.

The shape of the EU Digital COVID Certificate (HC1), with our own prefix and a
compact claim set so that the default card fits a version 11 QR code at level Q;
docs/card-format.md describes it for other verifier authors.
"""

from __future__ import annotations

import codecs
import datetime as dt
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.base45 import b45encode
from sulh.keys.signing import MessageSigner, as_signer

PREFIX = "SULH1:"
ALG_ES256 = -7
HEADER_ALG, HEADER_KID = 1, 4
# CWT claims (RFC 8392).
CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CTI = 4, 5, 6, 7
# Sulh's private claim (RFC 8392 private-use range): the card body as an array
# [program code, status-list index, name in Arabic, name in Latin, birth year (, face)], the
# face a small WebP thumbnail (sulh.cards.photo) when the program takes photos.
CLAIM_CARD = -70001
COSE_SIGN1_TAG = 18
CARD_ID_BYTES = 6
# Arabic names travel as ISO-8859-6 bytes (one byte a letter instead of UTF-8's two);
# a name with letters outside it (e.g. Persian or Kurdish letters) travels as UTF-8 text.
ARABIC_CODEC = "iso8859_6"


@dataclass(frozen=True)
class Holder:
    """Only what binds card to bearer: never category, affiliation, weapons or decision."""

    name_ar: str
    name_lat: str
    birth_year: int | None
    photo: bytes = b""  # the face thumbnail signed into the code (WebP), when there is one


@dataclass(frozen=True)
class CardClaims:
    card_id: bytes
    program: int  # the program's card code, named in the trust list
    issued_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    status_index: int
    holder: Holder

    def to_cbor_map(self) -> dict[int, Any]:
        body: list[Any] = [
            self.program,
            self.status_index,
            encode_arabic(self.holder.name_ar),
            self.holder.name_lat,
            self.holder.birth_year,
        ]
        if self.holder.photo:
            body.append(self.holder.photo)
        claims: dict[int, Any] = {
            CLAIM_EXP: int(self.valid_until.timestamp()),
            CLAIM_IAT: int(self.issued_at.timestamp()),
            CLAIM_CTI: self.card_id,
            CLAIM_CARD: body,
        }
        if int(self.valid_from.timestamp()) != int(self.issued_at.timestamp()):
            claims[CLAIM_NBF] = int(self.valid_from.timestamp())
        return claims


def encode_arabic(name: str) -> bytes | str:
    try:
        return name.encode(ARABIC_CODEC)
    except UnicodeEncodeError:
        return name


_ARABIC_DECODE = codecs.getdecoder(ARABIC_CODEC)


def decode_arabic(value: bytes | str) -> str:
    return _ARABIC_DECODE(value)[0] if isinstance(value, bytes) else value


def new_card_id() -> bytes:
    return secrets.token_bytes(CARD_ID_BYTES)


_SIG1_HEAD = b"\x84" + cbor2.dumps("Signature1")  # array of four, then the context


def _bstr(data: bytes) -> bytes:
    n = len(data)
    if n < 24:
        head = bytes((0x40 | n,))
    elif n < 0x100:
        head = bytes((0x58, n))
    elif n < 0x10000:
        head = b"\x59" + n.to_bytes(2, "big")
    else:
        head = b"\x5a" + n.to_bytes(4, "big")
    return head + data


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The COSE Sig_structure ``["Signature1", protected, h'', payload]`` in canonical CBOR."""
    return _SIG1_HEAD + _bstr(protected) + b"\x40" + _bstr(payload)


def encode_card(
    claims: CardClaims, *, key: MessageSigner | ec.EllipticCurvePrivateKey, kid: bytes
) -> str:
    return encode_signed(claims.to_cbor_map(), prefix=PREFIX, key=key, kid=kid)


def encode_signed(
    claims: dict[int, Any],
    *,
    prefix: str,
    key: MessageSigner | ec.EllipticCurvePrivateKey,
    kid: bytes,
) -> str:
    """``claims`` in a COSE_Sign1 (ES256), zlib, Base45, after ``prefix``: the shape of a
    card, and of the custody tags and receipts (``sulh.custody.format``)."""
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    payload = cbor2.dumps(claims)
    signature = as_signer(key).sign(sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return prefix + b45encode(zlib.compress(message, 9))
