"""Test vectors for card verifiers: one card text per verdict, with the lists to check them.

``python -m sulh.cards.vectors --out DIR`` writes ``root.pub`` (the root to pin),
``trust-list.json``, ``status.json``,
one ``NAME.txt`` per vector and ``expected.json`` (name -> verdict, and the instant
"now" to verify at). The set shipped in ``tests/cards/vectors/`` is what other
verifier authors should test against (docs/card-format.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import zlib
from pathlib import Path

import cbor2

from sulh.cards.base45 import b45decode, b45encode
from sulh.cards.format import PREFIX, CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_pem
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.trust import StationKey, trust_list_sign
from sulh.keys.signing import new_private_key

NOW = dt.datetime(2024, 12, 3, 9, tzinfo=dt.UTC)
HOLDER = Holder(name_ar="عمر خالد النجار", name_lat="Omar Khaled al-Najjar", birth_year=1991)
PROGRAM = (7, "aleppo-2024-defectors")


def _message(text: str) -> bytes:
    return zlib.decompress(b45decode(text[len(PREFIX) :]))


def _repack(message: bytes) -> str:
    return PREFIX + b45encode(zlib.compress(message))


def _tamper(text: str, part: int, offset: int | None = None) -> str:
    """Flip one bit in one part of the COSE_Sign1 (0 protected header, 2 payload, 3 signature)."""
    parts = list(cbor2.loads(_message(text)).value)
    blob = bytearray(parts[part])
    blob[len(blob) // 2 if offset is None else offset] ^= 0x01
    parts[part] = bytes(blob)
    return _repack(cbor2.dumps(cbor2.CBORTag(18, parts)))


def build(now: dt.datetime = NOW) -> tuple[str, dict, dict, list[tuple[str, str, str]]]:
    """The root (PEM), the trust list, the status list and (name, card text, expected
    verdict) triples."""
    root = new_private_key()
    window = (now - dt.timedelta(days=300), now + dt.timedelta(days=100))
    station = StationKey("alp-police-2", new_private_key(), *window)
    stranger = StationKey("alp-police-2", new_private_key(), *window)

    def card(*, key: StationKey = station, index: int = 3, start: dt.datetime = now) -> str:
        claims = CardClaims(
            new_card_id(), PROGRAM[0], start, start, start + dt.timedelta(days=90), index, HOLDER
        )
        return encode_card(claims, key=key.private, kid=key.kid)

    def future_card() -> str:
        claims = CardClaims(
            new_card_id(), PROGRAM[0], now, now + dt.timedelta(days=2),
            now + dt.timedelta(days=92), 4, HOLDER,
        )  # fmt: skip
        return encode_card(claims, key=station.private, kid=station.kid)

    status = StatusList()
    status.set(5, CardStatus.REVOKED)
    status.set(6, CardStatus.SUSPENDED)
    vectors = [
        ("valid", card(), "VALID"),
        ("expired", card(start=now - dt.timedelta(days=200)), "EXPIRED"),
        ("not-yet-valid", future_card(), "NOT YET VALID"),
        ("revoked", card(index=5), "REVOKED"),
        ("suspended", card(index=6), "SUSPENDED"),
        ("unknown-key", card(key=stranger), "UNKNOWN KEY"),
        ("tampered-algorithm", _tamper(card(), 0, offset=2), "FORGED"),
        ("tampered-key-id", _tamper(card(), 0, offset=-1), "UNKNOWN KEY"),
        ("tampered-payload", _tamper(card(), 2), "FORGED"),
        ("tampered-signature", _tamper(card(), 3), "FORGED"),
        ("truncated", card()[:-30], "MALFORMED"),
        ("wrong-prefix", "SULH2:" + card()[6:], "MALFORMED"),
        ("health-certificate", "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N", "MALFORMED"),
        ("not-base45", PREFIX + "abc~~~", "MALFORMED"),
        ("zlib-bomb", PREFIX + b45encode(zlib.compress(b"\0" * 5_000_000)), "MALFORMED"),
        ("oversized", PREFIX + "A" * 100_000, "MALFORMED"),
        ("garbage", "\x00\xff<script>", "MALFORMED"),
        ("not-cose", _repack(cbor2.dumps({"hello": 1})), "MALFORMED"),
    ]
    trust = trust_list_sign(root=root, keys=[station], issued_at=now, programs=dict([PROGRAM]))
    return (
        root_pem(root.public_key()),
        trust,
        status.signed(root=root, issued_at=now, uri="status.json"),
        vectors,
    )


def write(out: Path, now: dt.datetime = NOW) -> None:
    out.mkdir(parents=True, exist_ok=True)
    root, trust, status, vectors = build(now)
    (out / "root.pub").write_text(root)
    (out / "trust-list.json").write_text(json.dumps(trust, indent=1, ensure_ascii=False) + "\n")
    (out / "status.json").write_text(json.dumps(status, indent=1) + "\n")
    expected = {"now": now.isoformat(), "vectors": {}}
    for name, text, verdict in vectors:
        (out / f"{name}.txt").write_bytes(text.encode("utf-8"))
        expected["vectors"][name] = verdict  # type: ignore[index]
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m sulh.cards.vectors")
    parser.add_argument("--out", type=Path, required=True)
    write(parser.parse_args().out)
