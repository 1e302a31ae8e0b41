"""Signing keys in a real PKCS#11 token (SoftHSM2 in a scratch folder): cards, trust lists,
status lists and tree heads are signed inside it, and the database holds no private signing
key at all. A card never outlives the key that signs it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection

from sulh.cards import services
from sulh.cards.status import status_list_load
from sulh.cards.trust import trust_list_load
from sulh.cards.verify import Verdict, verify_card
from sulh.keys.models import SigningKey
from sulh.keys.services import Signer, public_key_of, publication_key, root_key
from sulh.keys.signing import verify_raw
from sulh.keys.token import token_forget, token_labels
from sulh.ledger.services import tree_head_latest, tree_head_sign
from tests.cards.test_issue import _decided

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (Path(MODULE).exists() and shutil.which("softhsm2-util")),
        reason="softhsm2 is not installed (apt-get install softhsm2)",
    ),
]


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh SoftHSM2 token in a scratch folder, for the whole session (the module reads
    its configuration once per process)."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "sulh-test",
         "--pin", "4711", "--so-pin", "47114711"],
        check=True, capture_output=True,
    )  # fmt: skip
    pin = folder / "pin"
    pin.write_text("4711\n")
    return {"module": MODULE, "token": "sulh-test", "pin_file": str(pin)}


@pytest.fixture
def token(settings, softhsm):
    settings.SULH_PKCS11_MODULE = softhsm["module"]
    settings.SULH_PKCS11_TOKEN = softhsm["token"]
    settings.SULH_PKCS11_PIN_FILE = softhsm["pin_file"]
    settings.SULH_PKCS11_PIN = ""
    token_forget()
    yield softhsm
    token_forget()


def test_with_a_token_every_signature_is_made_inside_it(personas, programs, token):
    case, _ = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    tree_head_sign()

    rows = list(SigningKey.objects.all())
    assert {row.kind for row in rows} >= {"root", "publication", "station"}
    assert all(row.token_label and not row.private_pem for row in rows)
    assert {row.token_label for row in rows} <= set(token_labels())
    assert Signer(root_key()).backend == "token"

    # Trust list, status list and card all verify against the token's public keys.
    trust_document = services.trust_list_document()
    root_point = public_key_of(root_key()).public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    trusted = trust_list_load(trust_document, root_public_key=root_point)
    status = status_list_load(services.status_list_document(), public_key=trusted.status_signer)
    assert verify_card(card.text, trusted=trusted, status=status).verdict == Verdict.VALID
    assert tree_head_latest()["signature"]
    assert trusted.publication_key == public_key_of(publication_key()).public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert verify_raw(public_key_of(root_key()), b"x" * 64, b"not signed") is False


def test_a_database_thief_finds_no_private_signing_key(personas, programs, token):
    """The attack: read the raw database for anything that opens as a private key."""
    case, _ = _decided(personas)
    services.card_issue(case=case, user=personas["card_officer"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT kid, public_point, private_pem, token_label FROM cards_signingkey")
        dumped = cursor.fetchall()
    assert dumped
    for _kid, _point, private_pem, label in dumped:
        assert private_pem == ""  # nothing sealed, nothing to unseal with the keyring
        assert label.startswith("sulh-")
    blob = repr(dumped).encode()
    assert b"PRIVATE KEY" not in blob
    # The SQL-level dump above is what a copy of either database holds; a file-backed SQLite
    # test database is read raw as well (the suite's default is in memory).
    name = Path(str(connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite" and name.is_file():
        assert b"PRIVATE KEY" not in name.read_bytes()


def test_without_the_pin_nothing_signs(personas, programs, token, settings, tmp_path):
    case, _ = _decided(personas)
    services.card_issue(case=case, user=personas["card_officer"])
    wrong = tmp_path / "pin"
    wrong.write_text("0000\n")
    settings.SULH_PKCS11_PIN_FILE = str(wrong)
    token_forget()
    with pytest.raises(Exception, match="cannot be opened") as caught:
        services.status_list_document()
    assert getattr(caught.value, "status", None) == 503


def test_a_card_never_outlives_its_signing_key(personas, programs, settings):
    """The attack: a program asking for cards valid for ten years (until the 2030s) gets
    cards bounded by the station key's not-after."""
    case, _ = _decided(personas)
    services.card_issue(case=case, user=personas["card_officer"])  # makes the keys
    station_key = SigningKey.objects.get(kind="station")
    station_key.not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    station_key.save(update_fields=["not_after"])
    case2, _ = _decided(personas)
    # The program gives cards 90 days; the key ends in 20 days, so the card does too.
    card = services.card_issue(case=case2, user=personas["card_officer"])
    assert card.key_id == station_key.pk
    assert card.valid_until == station_key.not_after
    assert card.valid_until < dt.datetime.now(dt.UTC) + dt.timedelta(days=21)


def test_an_extension_cannot_outlive_the_root(personas, programs):
    from sulh.core.errors import ValidationFailed
    from sulh.programs.models import Program

    case, _ = _decided(personas)
    services.card_issue(case=case, user=personas["card_officer"])
    root = root_key()
    root.not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=100)
    root.save(update_fields=["not_after"])
    with pytest.raises(ValidationFailed, match="outlive the root"):
        services.cards_extend(
            program=Program.objects.get(code="aleppo-2016-amnesty"),
            user=personas["manager"],
            valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=200),
            reason="r",
        )
