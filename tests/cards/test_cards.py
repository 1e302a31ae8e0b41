"""Cards: every kind of input gets the right verdict; outsiders' code reads and verifies our cards."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import cbor2
import pytest
import zxingcpp
from PIL import Image
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from sulh.cards.base45 import b45decode, b45encode
from sulh.cards.format import PREFIX, CardClaims, Holder, encode_card, new_card_id
from sulh.cards.keys import StationKey, new_private_key, trust_list_load, trust_list_sign
from sulh.cards.qr import write_png
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.verify import Verdict, verify_card
from sulh.cli import main

NOW = dt.datetime(2024, 12, 3, 9, tzinfo=dt.UTC)
HOLDER = Holder(name_ar="عمر خالد النجار", name_lat="Omar Khaled al-Najjar", birth_year=1991)


@pytest.fixture(scope="module")
def world():
    root = new_private_key()
    station = StationKey(
        "alp-police-2", new_private_key(), NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=100)
    )
    stranger = StationKey(
        "alp-police-2", new_private_key(), NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=100)
    )
    trust = trust_list_sign(root=root, keys=[station], issued_at=NOW)
    return {
        "root": root,
        "station": station,
        "stranger": stranger,
        "trust": trust,
        "trusted": trust_list_load(trust),
    }


def _card(world, *, key=None, index=3, valid_from=NOW, days=90) -> str:
    signer = key or world["station"]
    claims = CardClaims(
        new_card_id(),
        7,
        NOW,
        valid_from,
        valid_from + dt.timedelta(days=days),
        index,
        HOLDER,
    )
    return encode_card(claims, key=signer.private, kid=signer.kid)


def _message(text: str) -> bytes:
    return zlib.decompress(b45decode(text[len(PREFIX) :]))


def _repack(message: bytes) -> str:
    return PREFIX + b45encode(zlib.compress(message))


def _tamper(text: str, part: int, offset: int | None = None) -> str:
    tag = cbor2.loads(_message(text))
    parts = list(tag.value)
    blob = bytearray(parts[part])
    blob[len(blob) // 2 if offset is None else offset] ^= 0x01
    parts[part] = bytes(blob)
    return _repack(cbor2.dumps(cbor2.CBORTag(18, parts)))


def test_the_rfc_9285_base45_examples():
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45decode("QED8WEX0") == b"ietf!"


def test_a_card_verifies_and_shows_only_what_binds_it_to_the_bearer(world):
    result = verify_card(_card(world), trusted=world["trusted"], now=NOW)
    assert result.verdict == Verdict.VALID
    assert result.holder == {
        "name_ar": HOLDER.name_ar,
        "name_lat": HOLDER.name_lat,
        "birth_year": 1991,
    }
    claims = cbor2.loads(cbor2.loads(_message(_card(world))).value[2])
    flat = json.dumps(claims, default=str)
    for secret in ("combatant", "army", "rifle", "amnesty", "affiliation", "category"):
        assert secret not in flat


def _status(index: int, state: CardStatus) -> StatusList:
    status = StatusList()
    status.set(index, state)
    return status


VECTORS = [
    (
        "expired",
        lambda w: (_card(w, valid_from=NOW - dt.timedelta(days=200)), None),
        Verdict.EXPIRED,
    ),
    (
        "not yet valid",
        lambda w: (_card(w, valid_from=NOW + dt.timedelta(days=2)), None),
        Verdict.NOT_YET_VALID,
    ),
    ("revoked", lambda w: (_card(w, index=5), _status(5, CardStatus.REVOKED)), Verdict.REVOKED),
    (
        "suspended",
        lambda w: (_card(w, index=6), _status(6, CardStatus.SUSPENDED)),
        Verdict.SUSPENDED,
    ),
    ("unknown key", lambda w: (_card(w, key=w["stranger"]), None), Verdict.UNKNOWN_KEY),
    (
        "tampered algorithm in the protected header",
        lambda w: (_tamper(_card(w), 0, offset=2), None),
        Verdict.FORGED,
    ),
    (
        "tampered key id in the protected header",
        lambda w: (_tamper(_card(w), 0, offset=-1), None),
        Verdict.UNKNOWN_KEY,
    ),
    ("tampered payload", lambda w: (_tamper(_card(w), 2), None), Verdict.FORGED),
    ("tampered signature", lambda w: (_tamper(_card(w), 3), None), Verdict.FORGED),
    ("truncated", lambda w: (_card(w)[:-30], None), Verdict.MALFORMED),
    ("wrong prefix", lambda w: ("SULH2:" + _card(w)[6:], None), Verdict.MALFORMED),
    (
        "health certificate",
        lambda w: ("HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N", None),
        Verdict.MALFORMED,
    ),
    ("not base45", lambda w: (PREFIX + "abc~~~", None), Verdict.MALFORMED),
    (
        "zlib bomb",
        lambda w: (PREFIX + b45encode(zlib.compress(b"\0" * 5_000_000)), None),
        Verdict.MALFORMED,
    ),
    ("oversized", lambda w: (PREFIX + "A" * 100_000, None), Verdict.MALFORMED),
    ("garbage", lambda w: ("\x00\xff<script>", None), Verdict.MALFORMED),
    ("not cose", lambda w: (_repack(cbor2.dumps({"hello": 1})), None), Verdict.MALFORMED),
]


@pytest.mark.parametrize(("name", "make", "verdict"), VECTORS, ids=[v[0] for v in VECTORS])
def test_every_vector_gets_its_verdict(world, name, make, verdict):
    text, status = make(world)
    assert verify_card(text, trusted=world["trusted"], status=status, now=NOW).verdict == verdict


def test_an_independent_cose_implementation_verifies_the_signature(world):
    message = Sign1Message.decode(_message(_card(world)))
    public = world["station"].private.public_key().public_numbers()
    message.key = EC2Key(crv=P256, x=public.x.to_bytes(32, "big"), y=public.y.to_bytes(32, "big"))
    assert message.verify_signature()


def test_an_independent_decoder_reads_the_printed_qr(world, tmp_path):
    text = _card(world)
    png = tmp_path / "card.png"
    version = write_png(text, png)
    with Image.open(png) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    assert [f.text for f in found] == [text]
    assert version <= 11


def test_a_trust_list_with_a_changed_key_is_refused(world):
    document = json.loads(json.dumps(world["trust"]))
    document["keys"][0]["station"] = "elsewhere"
    with pytest.raises(ValueError, match="signature"):
        trust_list_load(document)


def test_the_command_line_verifier_exits_0_only_for_valid(tmp_path, capsys):
    assert main(["card", "issue-demo", "--out", str(tmp_path)]) == 0
    trust, status = str(tmp_path / "trust-list.json"), str(tmp_path / "status.json")
    assert (
        main(["card", "verify", "--trust", trust, "--status", status, str(tmp_path / "card.png")])
        == 0
    )
    assert "VALID" in capsys.readouterr().out
    assert (
        main(["card", "verify", "--trust", trust, (tmp_path / "card.txt").read_text().strip()[:-8]])
        == 1
    )
    assert "MALFORMED" in capsys.readouterr().out
    assert main(["card", "verify", "--trust", str(tmp_path / "missing.json"), "x"]) == 2
