"""Offline verification of a card: a verdict and a clear message for anything handed over.

Every step is bounded (input length, decompressed size, CBOR shape), so garbage,
truncated codes, other schemes (``HC1:``) and decompression bombs get a verdict,
never a crash or a hang.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import cbor2

from sulh.cards.base45 import Base45Error, b45decode
from sulh.cards.format import (
    ALG_ES256,
    CLAIM_CARD,
    CLAIM_CTI,
    CLAIM_EXP,
    CLAIM_IAT,
    CLAIM_NBF,
    COSE_SIGN1_TAG,
    HEADER_ALG,
    HEADER_KID,
    PREFIX,
    decode_arabic,
    sig_structure,
)
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.trust import TrustedKey, TrustList
from sulh.keys.signing import verify_raw

MAX_TEXT = 4096
MAX_INFLATED = 4096


class Verdict(Enum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT YET VALID"
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
    UNKNOWN_KEY = "UNKNOWN KEY"
    FORGED = "FORGED"
    MALFORMED = "MALFORMED"
    # About the lists, not the card: never VALID without a pinned root and current lists.
    UNTRUSTED_ROOT = "UNTRUSTED ROOT"  # the trust list is signed by another root
    TRUST_STALE = "TRUST STALE"  # the trust list expired, or is older than one seen
    STATUS_UNKNOWN = "STATUS UNKNOWN"  # no status list: revocation not checked
    STATUS_STALE = "STATUS STALE"  # the status list expired, or is older than one seen


@dataclass(slots=True)
class Result:
    verdict: Verdict
    message: str
    holder: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)
    # A VALID card checked against a status list older than its program's freshness rule:
    # shown in amber, with this sentence (revocations since the list was signed are unknown).
    warning: str = ""


def _malformed(message: str) -> Result:
    return Result(Verdict.MALFORMED, message)


def _unwrap(text: str, *, prefix: str = PREFIX) -> bytes | Result:
    text = text.strip()
    if len(text) > MAX_TEXT:
        return _malformed(f"longer than {MAX_TEXT} characters: not a Sulh code")
    if not text.startswith(prefix):
        other = text.split(":", 1)[0] if ":" in text[:8] else ""
        scheme = f" (this is a {other}: code, another scheme)" if other else ""
        return _malformed(f"does not start with {prefix}{scheme}")
    try:
        compressed = b45decode(text[len(prefix) :])
    except Base45Error as exc:
        return _malformed(f"not Base45: {exc}")
    inflater = zlib.decompressobj()
    try:
        message = inflater.decompress(compressed, MAX_INFLATED)
    except zlib.error:
        return _malformed("the compressed data is damaged or truncated")
    if inflater.unconsumed_tail:
        return _malformed(f"decompresses to more than {MAX_INFLATED} bytes (refused)")
    if not inflater.eof:
        return _malformed("the compressed data is truncated")
    if inflater.unused_data:
        return _malformed("there are bytes after the end of the compressed data")
    return message


_ES256_HEADER_START = bytes((0xA2, 0x01, 0x26, 0x04, 0x44))  # {1: -7, 4: 4-byte bstr


def _bstr_at(message: bytes, at: int) -> tuple[bytes, int] | None:
    head = message[at] if at < len(message) else 0
    if 0x40 <= head <= 0x57:
        size, at = head - 0x40, at + 1
    elif head == 0x58 and at + 1 < len(message):
        size, at = message[at + 1], at + 2
    elif head == 0x59 and at + 2 < len(message):
        size, at = int.from_bytes(message[at + 1 : at + 3], "big"), at + 3
    else:
        return None
    return (message[at : at + size], at + size) if at + size <= len(message) else None


def _cose_fast(message: bytes) -> tuple[bytes, bytes, bytes] | None:
    """The layout Sulh writes, read without a CBOR decoder: tag 18, an array of four,
    protected bstr, empty map, payload bstr, 64-byte signature; None for anything else."""
    if message[:2] != b"\xd2\x84":
        return None
    protected = _bstr_at(message, 2)
    if protected is None or protected[1] >= len(message) or message[protected[1]] != 0xA0:
        return None
    payload = _bstr_at(message, protected[1] + 1)
    if payload is None or message[payload[1] : payload[1] + 2] != b"\x58\x40":
        return None
    if len(message) != payload[1] + 66:
        return None
    return protected[0], payload[0], message[payload[1] + 2 :]


def _cose(message: bytes) -> tuple[bytes, dict[int, Any], bytes, bytes] | Result:
    fast = _cose_fast(message)
    if fast is not None:
        protected, payload, signature = fast
        if len(protected) == 9 and protected.startswith(_ES256_HEADER_START):
            return protected, {HEADER_ALG: ALG_ES256, HEADER_KID: protected[5:]}, payload, signature
    try:
        decoded = cbor2.loads(message)
    except Exception:  # cbor2 raises several types on hostile input
        return _malformed("not a CBOR message")
    if isinstance(decoded, cbor2.CBORTag):
        if decoded.tag != COSE_SIGN1_TAG:
            return _malformed("not a COSE_Sign1 message")
        decoded = decoded.value
    if not (isinstance(decoded, list) and len(decoded) == 4):
        return _malformed("not a COSE_Sign1 structure")
    protected, _, payload, signature = decoded
    if not (
        isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)
    ):
        return _malformed("not a COSE_Sign1 structure")
    if len(protected) == 9 and protected.startswith(_ES256_HEADER_START):
        # the header Sulh writes, {1: -7, 4: h'kid'}: read without a CBOR decoder
        return protected, {HEADER_ALG: ALG_ES256, HEADER_KID: protected[5:]}, payload, signature
    try:
        header = cbor2.loads(protected) if protected else {}
    except Exception:
        return Result(Verdict.FORGED, "the protected header is damaged")
    if not isinstance(header, dict):
        return Result(Verdict.FORGED, "the protected header is damaged")
    return protected, header, payload, signature


def verify_card(
    text: str,
    *,
    trusted: TrustList,
    status: StatusList | None = None,
    now: dt.datetime | None = None,
    status_refused: str = "",
) -> Result:
    """The verdict for ``text`` under a trust list loaded with the pinned root. Without a
    status list the verdict is STATUS UNKNOWN (``status_refused``, the reason a list was
    refused, makes it STATUS STALE); an expired list is never VALID."""
    now = now or dt.datetime.now(dt.UTC)
    if trusted.expires_at is not None and now > trusted.expires_at:
        return Result(
            Verdict.TRUST_STALE,
            f"the trust list expired on {trusted.expires_at.isoformat()}: get a current one",
        )
    opened = signed_payload(text, prefix=PREFIX, trusted=trusted, what="card")
    if isinstance(opened, Result):
        return opened
    payload, key = opened
    return _claims_verdict(
        payload, key=key, trusted=trusted, status=status, now=now, status_refused=status_refused
    )


def signed_payload(
    text: str, *, prefix: str, trusted: TrustList, what: str
) -> tuple[bytes, TrustedKey] | Result:
    """The payload of a Sulh code (``prefix``, Base45, zlib, COSE_Sign1 ES256) and the
    trusted key that signed it, or the verdict that refuses it: a card, or a custody tag
    or receipt (``what``), all signed by station keys the trust list names."""
    message = _unwrap(text, prefix=prefix)
    if isinstance(message, Result):
        return message
    parts = _cose(message)
    if isinstance(parts, Result):
        return parts
    protected, header, payload, signature = parts
    kid = header.get(HEADER_KID)
    if header.get(HEADER_ALG) != ALG_ES256:
        return Result(Verdict.FORGED, "the signature algorithm is not ES256")
    key = trusted.keys.get(kid) if isinstance(kid, bytes) else None
    if key is None:
        return Result(Verdict.UNKNOWN_KEY, "signed by a key that is not in the trust list")
    if not verify_raw(key.public, signature, sig_structure(protected, payload)):
        return Result(
            Verdict.FORGED, f"the signature does not match the {what}: it was altered or forged"
        )
    return payload, key


def _read_claims(
    payload: bytes, *, key: TrustedKey, trusted: TrustList
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        claims = cbor2.loads(payload)
        body = claims[CLAIM_CARD]
        issued_at = dt.datetime.fromtimestamp(claims[CLAIM_IAT], dt.UTC)
        nbf = claims.get(CLAIM_NBF)
        program = int(body[0])
        card: dict[str, Any] = {
            "card_id": claims[CLAIM_CTI].hex(),
            "program": trusted.programs.get(program, f"program {program}"),
            "station": key.station,
            "issued_at": issued_at,
            "valid_from": issued_at if nbf is None else dt.datetime.fromtimestamp(nbf, dt.UTC),
            "valid_until": dt.datetime.fromtimestamp(claims[CLAIM_EXP], dt.UTC),
            "status_index": int(body[1]),
            "program_code": program,
        }
        shown = {
            "name_ar": decode_arabic(body[2]),
            "name_lat": str(body[3]),
            "birth_year": body[4],
        }
        if len(body) > 5:
            if not isinstance(body[5], bytes):
                raise TypeError("the face is a byte string")
            shown["photo"] = body[5]
    except Exception:
        return None
    return shown, card


def _claims_verdict(
    payload: bytes,
    *,
    key: TrustedKey,
    trusted: TrustList,
    status: StatusList | None,
    now: dt.datetime,
    status_refused: str = "",
) -> Result:
    read = _read_claims(payload, key=key, trusted=trusted)
    if read is None:
        return _malformed("the signed claims are not a Sulh card")
    shown, card = read
    if not key.not_before <= card["issued_at"] <= key.not_after:
        return Result(Verdict.FORGED, "issued outside the validity of its signing key", shown, card)
    if card["valid_until"] > key.not_after:  # an old or stolen key cannot mint lasting cards
        return Result(Verdict.FORGED, "valid beyond the validity of its signing key", shown, card)
    if now < card["valid_from"]:
        return Result(
            Verdict.NOT_YET_VALID,
            f"valid from {card['valid_from'].date().isoformat()}",
            shown,
            card,
        )
    if now > card["valid_until"]:
        extension = trusted.extensions.get(card["program_code"])
        if extension is None or card["issued_at"] > extension[0] or now > extension[1]:
            return Result(
                Verdict.EXPIRED, f"expired on {card['valid_until'].date().isoformat()}", shown, card
            )
        card["valid_until"] = extension[1]
        card["extended"] = True
    if status is None:
        if status_refused:
            return Result(Verdict.STATUS_STALE, status_refused, shown, card)
        return Result(
            Verdict.STATUS_UNKNOWN,
            "no status list: whether the card was revoked is not known",
            shown,
            card,
        )
    try:
        state = status.get(card["status_index"])
    except (IndexError, ValueError):  # outside the list, or the undefined value 3
        return Result(
            Verdict.UNKNOWN_KEY,
            "the card's status index is not in the status list",
            shown,
            card,
        )
    if state == CardStatus.REVOKED:
        return Result(Verdict.REVOKED, "the card was revoked", shown, card)
    if state == CardStatus.SUSPENDED:
        return Result(Verdict.SUSPENDED, "the card is suspended", shown, card)
    age = _age(now - status.issued_at) if status.issued_at is not None else "?"
    if status.expires_at is not None and now > status.expires_at:
        return Result(
            Verdict.STATUS_STALE,
            f"the status list is {age} old and expired on {status.expires_at.isoformat()}: "
            "get a current one",
            shown,
            card,
        )
    result = Result(
        Verdict.VALID, f"valid until {card['valid_until'].date().isoformat()}", shown, card
    )
    max_age = trusted.policy(card["program_code"]).status_max_age_hours
    if status.issued_at is not None and now - status.issued_at > dt.timedelta(hours=max_age):
        result.warning = (
            f"the status list is {age} old, older than the {max_age} hours the program allows: "
            "a revocation since it was signed is not known; update the lists"
        )
    return result


def _age(delta: dt.timedelta) -> str:
    hours = max(0, int(delta.total_seconds() // 3600))
    return f"{hours // 24} days {hours % 24} hours" if hours >= 48 else f"{hours} hours"
