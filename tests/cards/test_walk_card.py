"""Issue #22 items 10 and 12 below the page: the program's freshness rule and zone travel in
the signed trust list, and the command-line verifier warns of an old status list."""

from __future__ import annotations

import datetime as dt
import json

from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_pem
from sulh.cards.status import StatusList, status_list_load
from sulh.cards.trust import ProgramPolicy, StationKey, trust_list_load, trust_list_sign
from sulh.cards.verify import Verdict, verify_card
from sulh.cli import main
from sulh.keys.signing import new_private_key, public_bytes

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
