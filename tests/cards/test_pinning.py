"""Finding 14 of issue #16, on the command line: a verifier pins the root, remembers the
newest lists it has seen, and never says VALID without a current status list.

Each test does what an attacker at a checkpoint would: hand over a self-made trust list
with a forged card, replay an old status list from before a revocation, or withhold the
status list altogether.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_pem
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.trust import StationKey, trust_list_sign
from sulh.cli import main
from sulh.keys.signing import new_private_key
from sulh.synth import generate_people

NOW = dt.datetime.now(dt.UTC)


def _holder() -> Holder:
    person = generate_people(1, seed=14)[0]
    return Holder(
        name_ar=f"{person.given[0]} {person.family[0]}",
        name_lat=f"{person.given[1][0]} {person.family[1][0]}",
        birth_year=person.birth_date.year,
    )


class Program:
    """A root, one station key, and files of lists and cards in ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.root = new_private_key()
        self.station = StationKey(
            "alp-police-1",
            new_private_key(),
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=60),
        )
        (out / "root.pub").write_text(root_pem(self.root.public_key()))

    def card(self, index: int = 3, *, until: dt.datetime | None = None) -> str:
        valid_until = until or NOW + dt.timedelta(days=30)
        claims = CardClaims(new_card_id(), 1, NOW, NOW, valid_until, index, _holder())
        return encode_card(claims, key=self.station.private, kid=self.station.kid)

    def trust(self, *, sequence: int = 10, name: str = "trust.json") -> Path:
        document = trust_list_sign(
            root=self.root, keys=[self.station], issued_at=NOW, sequence=sequence, programs={1: "p"}
        )
        (self.out / name).write_text(json.dumps(document))
        return self.out / name

    def status(
        self,
        *,
        sequence: int,
        revoked: tuple[int, ...] = (),
        expires_at: dt.datetime | None = None,
        name: str = "status.json",
    ) -> Path:
        status = StatusList()
        for index in revoked:
            status.set(index, CardStatus.REVOKED)
        document = status.signed(
            root=self.root, issued_at=NOW, uri="status.json", sequence=sequence,
            expires_at=expires_at or NOW + dt.timedelta(hours=48),
        )  # fmt: skip
        (self.out / name).write_text(json.dumps(document))
        return self.out / name


@pytest.fixture
def program(tmp_path) -> Program:
    return Program(tmp_path / "program")


def _verify(capsys, program: Program, *args: str, root: Path | None = None) -> tuple[int, str]:
    state = program.out.parent / "seen.json"
    code = main(
        [
            "card", "verify", "--root", str(root or program.out / "root.pub"),
            "--state", str(state), *args,
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_self_made_root_and_trust_list_do_not_make_a_forged_card_valid(program, tmp_path, capsys):
    forger = Program(tmp_path / "forger")  # the forger's own root, station key and card
    forged = forger.card()
    code, out = _verify(
        capsys, program, "--trust", str(forger.trust()), "--status", str(forger.status(sequence=1)),
        forged,
    )  # fmt: skip
    assert code == 1 and out.startswith("UNTRUSTED ROOT:")
    assert "VALID:" not in out and _holder().name_lat not in out  # nothing of the card shown
    # Handing over the forger's root.pub as well is what the pin prevents: the checkpoint's
    # pin is its own file; the genuine list and card still verify under it.
    code, out = _verify(
        capsys, program, "--trust", str(program.trust()), "--status",
        str(program.status(sequence=1)), program.card(),
    )  # fmt: skip
    assert (code, out.split(":")[0]) == (0, "VALID")


def test_without_a_pinned_root_nothing_is_verified(program, capsys, monkeypatch):
    monkeypatch.delenv("SULH_ROOT_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("SULH_ROOT_PUBLIC_KEY_FILE", raising=False)
    code = main(["card", "verify", "--trust", str(program.trust()), program.card()])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: root: no root key is pinned")
    # The pin may come from the environment instead of --root.
    monkeypatch.setenv("SULH_ROOT_PUBLIC_KEY", (program.out / "root.pub").read_text())
    state = str(program.out / "seen.json")
    status = str(program.status(sequence=1))
    args = ["--state", state, "--trust", str(program.trust()), "--status", status, program.card()]
    assert main(["card", "verify", *args]) == 0


def test_an_old_status_list_does_not_make_a_revoked_card_valid_again(program, capsys):
    card, trust = program.card(index=5), str(program.trust())
    before = program.status(sequence=100, name="before.json")  # not yet revoked
    after = program.status(sequence=200, revoked=(5,), name="after.json")
    assert _verify(capsys, program, "--trust", trust, "--status", str(before), card)[0] == 0
    code, out = _verify(capsys, program, "--trust", trust, "--status", str(after), card)
    assert (code, out.split(":")[0]) == (1, "REVOKED")
    # The holder replays the list from before the revocation.
    code, out = _verify(capsys, program, "--trust", trust, "--status", str(before), card)
    assert code == 1 and out.startswith("STATUS STALE:")
    assert "sequence 100" in out and "sequence 200" in out
    seen = json.loads((program.out.parent / "seen.json").read_text())
    assert list(seen["roots"].values()) == [{"trust": 10, "status": 200}]


def test_an_old_trust_list_is_refused(program, capsys):
    card, status = program.card(), str(program.status(sequence=1))
    newer, older = program.trust(sequence=20, name="t20.json"), program.trust(sequence=5)
    assert _verify(capsys, program, "--trust", str(newer), "--status", status, card)[0] == 0
    code, out = _verify(capsys, program, "--trust", str(older), "--status", status, card)
    assert code == 1 and out.startswith("TRUST STALE:")


def test_with_no_status_list_the_card_is_not_valid(program, capsys):
    code, out = _verify(capsys, program, "--trust", str(program.trust()), program.card())
    assert code == 1 and out.startswith("STATUS UNKNOWN:")
    assert "revoked is not known" in out


def test_an_expired_status_list_gives_a_stale_verdict(program, capsys):
    expired = program.status(sequence=1, expires_at=NOW - dt.timedelta(minutes=1))
    code, out = _verify(
        capsys, program, "--trust", str(program.trust()), "--status", str(expired), program.card()
    )
    assert code == 1 and out.startswith("STATUS STALE:") and "expired" in out


def test_a_damaged_state_file_is_an_error_not_a_fresh_start(program, capsys):
    (program.out.parent / "seen.json").write_text("{not json")
    code, out = _verify(capsys, program, "--trust", str(program.trust()), program.card())
    assert code == 2 and "state" in out and "damaged" in out


def test_issue_demo_writes_the_root_to_pin(tmp_path, capsys):
    assert main(["card", "issue-demo", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "root.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    capsys.readouterr()
    code = main(
        [
            "card", "verify", "--root", str(tmp_path / "root.pub"),
            "--state", str(tmp_path / "seen.json"), "--trust", str(tmp_path / "trust-list.json"),
            "--status", str(tmp_path / "status.json"), str(tmp_path / "card.txt"),
        ]
    )  # fmt: skip
    assert code == 0 and capsys.readouterr().out.startswith("VALID:")


def test_a_card_signed_to_outlive_its_station_key_is_forged(program, capsys):
    """The attack: a station key (valid 60 days) signs, within its validity, a card valid
    until 2099 under a real card's status index. The pinned verifier calls it forged."""
    card = program.card(index=5, until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    trust, status = str(program.trust()), str(program.status(sequence=100))
    code, out = _verify(capsys, program, "--trust", trust, "--status", status, card)
    assert code != 0 and out.startswith("FORGED:") and "signing key" in out
    assert _verify(capsys, program, "--trust", trust, "--status", status, program.card())[0] == 0
