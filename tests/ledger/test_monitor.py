"""Bulletins computed from the log; the monitor passes honest output and catches every lie."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger.monitor import figures_from_leaves, suppress
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"


def _day(personas, day: int, people: int) -> None:
    when = dt.datetime(2016, 8, day, 9, tzinfo=dt.UTC)
    for i in range(people):
        payload = make_intake(PROGRAM, submitted_at=when, origin="local" if i % 3 else "non_local")
        clerk = personas["clerk" if i % 2 else "clerk2"]
        case = intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=when).case
        if case.state == "screened" and i % 4:
            destination = "idlib" if case.proposed_outcome == "departure" else ""
            case_services.decision_record(
                case=case,
                user=personas["decider"],
                outcome=case.proposed_outcome,
                reason="",
                destination=destination,
            )


def _check(folder) -> int:
    return main(
        [
            "monitor", "check", "--bulletin", str(folder / f"bulletin-{PROGRAM}.json"),
            "--leaves", str(folder / "leaves.jsonl"), "--tree-head", str(folder / "tree-head.json"),
            "--key", str(folder / "ledger-key.pem"),
        ]
    )  # fmt: skip


@pytest.fixture
def published(personas, programs, tmp_path):
    for day in (10, 11, 12):
        _day(personas, day, 8)
    assert main(["ledger", "bulletin", "--program", PROGRAM, "--out", str(tmp_path)]) == 0
    return tmp_path


def test_the_monitor_passes_honest_output(published, capsys):
    bulletin = json.loads((published / f"bulletin-{PROGRAM}.json").read_text())
    lines = (published / "leaves.jsonl").read_text().splitlines()
    raw = figures_from_leaves([json.loads(line) for line in lines], program=PROGRAM)
    figures = raw["figures"]
    assert figures["registered"] + raw["children"]["registered"] == 24  # children apart
    assert figures["registered"] == sum(
        figures[k] for k in ("amnesty_granted", "departure", "referred", "denied", "pending")
    )
    assert bulletin["figures"]["registered"] == figures["registered"]
    assert _check(published) == 0
    assert "OK" in capsys.readouterr().out


def _edit_lines(path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        lambda lines: lines[:5] + lines[6:],  # a leaf removed
        lambda lines: [lines[0].replace("registered", "decision_taken"), *lines[1:]],  # altered
        lambda lines: [*lines, lines[-1]],  # added
    ],
    ids=["removed", "altered", "added"],
)
def test_the_monitor_fails_when_the_log_is_tampered_with(published, capsys, change):
    _edit_lines(published / "leaves.jsonl", change)
    assert _check(published) == 1
    assert "DIFFERENCE" in capsys.readouterr().out


def test_the_monitor_fails_when_a_figure_is_changed(published, capsys):
    path = published / f"bulletin-{PROGRAM}.json"
    bulletin = json.loads(path.read_text())
    bulletin["figures"]["registered"] += 1  # about 22 adults: never a hidden cell
    path.write_text(json.dumps(bulletin))
    assert _check(published) == 1
    assert "figures.registered" in capsys.readouterr().out


def test_small_cells_are_hidden_with_a_complement():
    row = {
        "registered": 30,
        "amnesty_granted": 20,
        "departure": 7,
        "referred": 2,
        "denied": 0,
        "pending": 1,
    }
    shown = suppress(row, min_cell=5)
    assert shown["referred"] is None and shown["pending"] is None
    assert shown["amnesty_granted"] == 20 and shown["departure"] == 7
    lone = {
        "registered": 23,
        "amnesty_granted": 20,
        "departure": 0,
        "referred": 3,
        "denied": 0,
        "pending": 0,
    }
    shown = suppress(lone, min_cell=5)
    assert (
        shown["referred"] is None and shown["amnesty_granted"] is None
    )  # else 23 - 20 gives it away
