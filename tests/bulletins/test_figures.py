"""The foundation's figures: per program and station, reconciling by construction."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sulh.bulletins.figures import figures_reconcile, program_figures
from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, 0, tzinfo=dt.UTC)


def _register(personas, clerk="clerk", **overrides):
    payload = make_intake(PROGRAM, submitted_at=WHEN, **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas[clerk], now=WHEN).case


def test_it_counts_each_case_under_one_figure(personas, programs):
    granted = _register(personas, origin="local")
    services.decision_record(case=granted, user=personas["decider"], outcome="amnesty", reason="")
    denied = _register(personas, origin="local")
    decision = services.decision_record(
        case=denied, user=personas["decider"], outcome="denial", reason="r"
    )
    services.decision_confirm(decision=decision, user=personas["decider2"], reason="agreed")
    awaiting = _register(personas, clerk="clerk2", origin="local")
    services.decision_record(
        case=awaiting, user=personas["decider"], outcome="referral", reason="r"
    )
    _register(personas, clerk="clerk2", origin="local")

    bulletin = program_figures(program_code=PROGRAM)

    assert bulletin["figures"] == {
        "registered": 4,
        "amnesty_granted": 1,
        "departure": 0,
        "referred": 0,
        "denied": 1,
        "pending": 2,
    }
    assert bulletin["by_station"]["alp1"]["registered"] == 2
    assert bulletin["by_station"]["alp2"]["pending"] == 2
    assert figures_reconcile(bulletin["figures"])
    assert all(figures_reconcile(f) for f in bulletin["by_station"].values())


def test_the_command_writes_the_figures(personas, programs, tmp_path):
    _register(personas, origin="local")
    out = tmp_path / "figures.json"
    assert main(["bulletin", "--program", PROGRAM, "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["program"] == PROGRAM and written["figures"]["registered"] == 1


def test_the_command_refuses_an_unknown_program(programs, capsys):
    assert main(["bulletin", "--program", "nope"]) == 2
    assert "program" in capsys.readouterr().err
