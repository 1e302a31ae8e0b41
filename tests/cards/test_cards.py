"""Cards: every kind of input gets the right verdict; outsiders' code reads and verifies our cards."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import cbor2
import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cwt import COSE, COSEKey, VerifyError
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sulh.cards.base45 import Base45Error, b45decode, b45encode
from sulh.cards.format import PREFIX, CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_parse
from sulh.cards.qr import write_png
from sulh.cards.status import StatusList, status_list_load
from sulh.cards.trust import StationKey, trust_list_load, trust_list_sign
from sulh.cards.vectors import build as vectors_build
from sulh.cards.verify import Verdict, verify_card
from sulh.cli import main
from sulh.keys.signing import new_private_key, public_bytes

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
        "trusted": trust_list_load(trust, root_public_key=public_bytes(root.public_key())),
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


def test_the_rfc_9285_base45_examples():
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45decode("QED8WEX0") == b"ietf!"
    for bad in ("GGW", "::", "A", "abc", "ÄBC"):
        with pytest.raises(Base45Error):
            b45decode(bad)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_base45_round_trips_any_bytes(data):
    assert b45decode(b45encode(data)) == data


def test_a_card_verifies_and_shows_only_what_binds_it_to_the_bearer(world):
    result = verify_card(_card(world), trusted=world["trusted"], status=StatusList(), now=NOW)
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


VECTORS = Path(__file__).parent / "vectors"


def test_every_shipped_vector_gets_its_verdict():
    expected = json.loads((VECTORS / "expected.json").read_text())
    trusted = trust_list_load(
        json.loads((VECTORS / "trust-list.json").read_text()),
        root_public_key=root_parse((VECTORS / "root.pub").read_text(), where="root.pub"),
    )
    status = status_list_load(
        json.loads((VECTORS / "status.json").read_text()), public_key=trusted.status_signer
    )
    now = dt.datetime.fromisoformat(expected["now"])
    got = {
        name: verify_card(
            (VECTORS / f"{name}.txt").read_bytes().decode("utf-8"),
            trusted=trusted,
            status=status,
            now=now,
        ).verdict.value
        for name in expected["vectors"]
    }
    assert got == expected["vectors"]
    assert len(got) >= 18


def test_freshly_built_vectors_get_their_verdicts():
    """The generator and the verifier agree today (the shipped set may be regenerated)."""
    root, trust, status_document, vectors = vectors_build(NOW)
    trusted = trust_list_load(trust, root_public_key=root_parse(root, where="root"))
    status = status_list_load(status_document, public_key=trusted.status_signer)
    for name, text, verdict in vectors:
        result = verify_card(text, trusted=trusted, status=status, now=NOW)
        assert (name, result.verdict.value) == (name, verdict)
        assert result.message


def _independent_key(station: StationKey, *, kid: bytes | None = None) -> COSEKey:
    """The station's public key as python-cwt sees it: from PEM, not from our key code."""
    pem = station.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return COSEKey.from_pem(pem, alg="ES256", kid=kid or station.kid)


def test_an_independent_cose_implementation_verifies_the_signature(world):
    message = _message(_card(world))
    payload = COSE.new().decode(message, _independent_key(world["station"]))
    assert payload == cbor2.loads(message).value[2]  # returned only once the signature held


def test_the_independent_cose_implementation_refuses_a_tampered_card(world):
    message = bytearray(_message(_card(world)))
    message[-70] ^= 0x01  # a bit of the payload, just before the 64-byte signature
    with pytest.raises(VerifyError):
        COSE.new().decode(bytes(message), _independent_key(world["station"]))
    with pytest.raises(VerifyError):
        COSE.new().decode(
            _message(_card(world)), _independent_key(world["stranger"], kid=world["station"].kid)
        )


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
        trust_list_load(document, root_public_key=public_bytes(world["root"].public_key()))


def test_the_command_line_verifier_exits_0_only_for_valid(tmp_path, capsys):
    assert main(["card", "issue-demo", "--out", str(tmp_path)]) == 0
    trust, status = str(tmp_path / "trust-list.json"), str(tmp_path / "status.json")
    pin = ["--root", str(tmp_path / "root.pub"), "--state", str(tmp_path / "seen.json")]
    assert (
        main(
            [
                "card",
                "verify",
                *pin,
                "--trust",
                trust,
                "--status",
                status,
                str(tmp_path / "card.png"),
            ]
        )
        == 0
    )
    assert "VALID" in capsys.readouterr().out
    assert (
        main(
            [
                "card",
                "verify",
                *pin,
                "--trust",
                trust,
                (tmp_path / "card.txt").read_text().strip()[:-8],
            ]
        )
        == 1
    )
    assert "MALFORMED" in capsys.readouterr().out
    assert main(["card", "verify", *pin, "--trust", str(tmp_path / "missing.json"), "x"]) == 2


def test_it_names_the_qr_extra_when_zxing_cpp_is_missing(tmp_path, capsys, monkeypatch):
    assert main(["card", "issue-demo", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # import zxingcpp now raises ImportError
    trust = str(tmp_path / "trust-list.json")
    pin = ["--root", str(tmp_path / "root.pub"), "--state", str(tmp_path / "seen.json")]
    status = ["--status", str(tmp_path / "status.json")]
    assert main(["card", "verify", *pin, "--trust", trust, str(tmp_path / "card.png")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: card: ") and "pip install 'sulh[qr]'" in error
    card_text = (tmp_path / "card.txt").read_text().strip()
    assert main(["card", "verify", *pin, *status, "--trust", trust, card_text]) == 0


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_the_printed_pdf_card_scans_back_to_the_card(tmp_path):
    assert main(["card", "issue-demo", "--out", str(tmp_path)]) == 0
    pdf = tmp_path / "card.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Pages:           1" in info.stdout
    assert "242.646 x 153.071 pts" in info.stdout  # ID-1: 85.6 x 54 mm
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page-1.png") as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    assert [f.text for f in found] == [(tmp_path / "card.txt").read_text().strip()]
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Samer Wael al-Darwish" in text
    assert "الدرويش" in text  # the Arabic name as text (shaped glyphs map back to letters)


def test_trailing_bytes_and_undefined_status_values_get_a_verdict(world):
    card = _card(world)
    message = _message(card)
    padded = PREFIX + b45encode(zlib.compress(message) + b"\x00\x01")
    result = verify_card(padded, trusted=world["trusted"], status=StatusList(), now=NOW)
    assert result.verdict == Verdict.MALFORMED and "after the end" in result.message
    status = StatusList()
    status.data[0] = 0b11 << 6  # index 3 holds the undefined value 3
    assert verify_card(card, trusted=world["trusted"], status=status, now=NOW).verdict == (
        Verdict.UNKNOWN_KEY
    )


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_fast_cose_reader_agrees_with_a_cbor_decoder(world, data):
    """The verifier reads Sulh's own layout without a CBOR decoder; whatever bytes it
    accepts must decode to the same parts with cbor2."""
    from sulh.cards.verify import _cose_fast

    message = bytearray(_message(_card(world)))
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(message) - 1))
        message[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(message) - 3, len(message)))
    message = bytes(message[:cut])
    fast = _cose_fast(message)
    if fast is not None:
        tag = cbor2.loads(message)
        assert tag.tag == 18 and tag.value[1] == {}
        assert (tag.value[0], tag.value[2], tag.value[3]) == fast
