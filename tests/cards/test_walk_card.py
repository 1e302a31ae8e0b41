"""Issue #22 items 10 and 12 below the page: the program's freshness rule and zone travel in
the signed trust list, and the command-line verifier warns of an old status list."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from PIL import Image

from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_pem
from sulh.cards.status import StatusList, status_list_load
from sulh.cards.trust import ProgramPolicy, StationKey, trust_list_load, trust_list_sign
from sulh.cards.verify import Verdict, verify_card
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.errors import ValidationFailed
from sulh.core.validation import parse
from sulh.keys.signing import new_private_key, public_bytes
from sulh.programs.services import program_get_definition
from sulh.registry.models import Person
from sulh.registry.schemas import IntakeIn, PersonIn
from sulh.registry.services import intake_erase
from tests.conftest import make_intake

NOW = dt.datetime(2024, 12, 3, 9, tzinfo=dt.UTC)
HOLDER = Holder(name_ar="عمر خالد النجار", name_lat="Omar Khaled al-Najjar", birth_year=1991)


def _world(tmp_path, *, status_age: dt.timedelta):
    root = new_private_key()
    station = StationKey(
        "alp-police-2", new_private_key(), NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=100)
    )
    policy = ProgramPolicy(timezone="Asia/Damascus", status_max_age_hours=48)
    trust = trust_list_sign(root=root, keys=[station], issued_at=NOW, policies={7: policy})
    signed = NOW - status_age
    status = StatusList().signed(
        root=root, issued_at=signed, uri="s", expires_at=signed + dt.timedelta(days=30)
    )
    claims = CardClaims(new_card_id(), 7, NOW, NOW, NOW + dt.timedelta(days=30), 3, HOLDER)
    card = encode_card(claims, key=station.private, kid=station.kid)
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    (tmp_path / "status.json").write_text(json.dumps(status))
    (tmp_path / "root.pub").write_text(root_pem(root.public_key()))
    trusted = trust_list_load(trust, root_public_key=public_bytes(root.public_key()))
    return trusted, status_list_load(status, public_key=trusted.status_signer), card


def test_the_trust_list_carries_the_programs_rule_and_zone(tmp_path):
    trusted, _, _ = _world(tmp_path, status_age=dt.timedelta(hours=1))
    assert trusted.policy(7) == ProgramPolicy(timezone="Asia/Damascus", status_max_age_hours=48)
    assert trusted.policy(8) == ProgramPolicy()  # a program it does not name: the defaults


def test_a_valid_card_under_an_old_status_list_carries_a_warning(tmp_path):
    trusted, status, card = _world(tmp_path, status_age=dt.timedelta(days=20))
    result = verify_card(card, trusted=trusted, status=status, now=NOW)
    assert result.verdict == Verdict.VALID
    assert "20 days 0 hours old" in result.warning and "48 hours" in result.warning
    trusted, status, card = _world(tmp_path, status_age=dt.timedelta(hours=3))
    assert verify_card(card, trusted=trusted, status=status, now=NOW).warning == ""


def test_the_command_line_verifier_prints_the_warning(tmp_path, capsys, monkeypatch):
    _, _, card = _world(tmp_path, status_age=dt.timedelta(days=20))
    monkeypatch.setattr("sulh.cards.verify.dt.datetime", _Frozen)
    code = main(
        ["card", "verify", "--root", str(tmp_path / "root.pub"), "--state",
         str(tmp_path / "state.json"), "--trust", str(tmp_path / "trust.json"),
         "--status", str(tmp_path / "status.json"), card]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("VALID")
    assert "WARNING: the status list is 20 days 0 hours old" in out


class _Frozen(dt.datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return NOW


# --- Item 10: the photo at intake ---------------------------------------------------------


def _jpeg(size=(300, 375)) -> str:

    out = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def test_the_photo_field_takes_a_small_jpeg_only():

    person = {"given_name_lat": "Basel", "family_name_lat": "Qassab", "sex": "male"}
    assert parse(PersonIn, {**person, "photo": _jpeg()}).photo == _jpeg()
    assert parse(PersonIn, person).photo == ""
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()
    for bad, said in (
        (png, "not a JPEG"),
        ("not base64!", "not base64"),
        (base64.b64encode(b"\xff\xd8\xff" + b"0" * 70000 + b"\xff\xd9").decode(), "at most"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            parse(PersonIn, {**person, "photo": bad})
        assert refused.value.field == "person.photo" or refused.value.field == "photo"
        assert said in refused.value.message
        assert bad[:20] not in refused.value.message  # the input is never echoed


@pytest.mark.django_db
def test_the_program_says_whether_a_photo_is_taken(personas, programs):

    when = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
    payload = make_intake("aleppo-2016-amnesty", submitted_at=when)  # photo: none
    payload["person"]["photo"] = _jpeg()
    with pytest.raises(ValidationFailed) as refused:
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    assert refused.value.field == "person.photo" and "takes no photo" in refused.value.message


@pytest.mark.django_db
def test_a_photo_is_sealed_and_blanked_at_erasure(personas, programs):
    when = dt.datetime(2024, 12, 2, 9, tzinfo=dt.UTC)
    payload = make_intake("aleppo-2024-defectors", submitted_at=when)  # photo: optional
    payload["person"]["photo"] = _jpeg()
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when).case
    person = Person.objects.get(pk=case.intake.person_id)
    assert person.photo == _jpeg()
    intake_erase(intake=case.intake)
    assert Person.objects.get(pk=person.pk).photo == ""


@pytest.mark.django_db
def test_a_program_that_requires_a_photo_refuses_an_intake_without_one(
    personas, programs, monkeypatch
):
    real = program_get_definition(code="aleppo-2024-defectors")
    required = real.model_copy(update={"card": real.card.model_copy(update={"photo": "required"})})
    monkeypatch.setattr("sulh.cases.intake.program_get_definition", lambda code: required)
    when = dt.datetime(2024, 12, 2, 9, tzinfo=dt.UTC)
    payload = make_intake("aleppo-2024-defectors", submitted_at=when)
    with pytest.raises(ValidationFailed) as refused:
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    assert refused.value.field == "person.photo" and "requires" in refused.value.message
    payload["person"]["photo"] = _jpeg()
    assert intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when).created
