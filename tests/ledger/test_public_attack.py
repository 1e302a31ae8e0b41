"""Red team (issue 17): an attacker with everything public (all bulletins of ten days, the
heads, the public leaves) recovers no small cell with certainty and singles out no one."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger.disclosure import figures_exact
from sulh.ledger.publication import live_records
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
BOUND = 177  # docs/disclosure.md: the draw's support is bounded at +-177
FIGS = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")


def _register(personas, when, i, day):
    sex = "female" if (i + day) % 5 == 0 else "male"
    year = 2004 if (i + day) % 7 == 0 else 1970 + (i * 3 + day) % 26
    payload = make_intake(
        PROGRAM,
        submitted_at=when,
        origin="local" if i % 3 else "non_local",
        person={"sex": sex, "birth_date": f"{year}-03-0{1 + i % 9}"},
    )
    clerk = personas["clerk" if (i + day) % 3 else "clerk2"]
    case = intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=when).case
    if case.state != "screened":
        return
    outcome = ("amnesty", "departure", "referral", "denial", None)[(i + day) % 5]
    if outcome is None:
        return
    try:
        decision = case_services.decision_record(
            case=case,
            user=personas["decider"],
            outcome=outcome,
            reason="test reason for the attack",
            destination="idlib" if outcome == "departure" else "",
        )
        if outcome in ("referral", "denial"):
            case_services.decision_confirm(decision=decision, user=personas["decider2"])
    except Exception:
        return


def _cells(bulletin):
    """(name, published value) of every person cell of a bulletin."""
    out = {}
    for f in FIGS:
        out[("figures", f)] = bulletin["figures"].get(f)
        out[("children", f)] = bulletin["children"].get(f)
        for table in ("by_station", "by_sex", "by_age_band"):
            for key, row in bulletin[table].items():
                out[(table, key, f)] = row.get(f)
    return out


def _truth(exact):
    out = {}
    for f in FIGS:
        out[("figures", f)] = exact["figures"].get(f, 0)
        out[("children", f)] = exact["children"].get(f, 0)
        for table in ("by_station", "by_sex", "by_age_band"):
            for key, row in exact[table].items():
                out[(table, key, f)] = row.get(f, 0)
    return out


def _interval(value, min_cell):
    if value == 0:
        return (0, 0)
    if value is None:
        return (1, min_cell - 1 + BOUND)
    return (max(1, value - BOUND), value + BOUND)


def _propagate(bounds, equations):
    """Interval propagation over sum(lhs) == sum(rhs) equations until nothing moves."""
    for _ in range(50):
        moved = False
        for lhs, rhs in equations:
            for side, other in ((lhs, rhs), (rhs, lhs)):
                lo_o = sum(bounds[v][0] for v in other)
                hi_o = sum(bounds[v][1] for v in other)
                for v in side:
                    lo_s = sum(bounds[w][0] for w in side if w != v)
                    hi_s = sum(bounds[w][1] for w in side if w != v)
                    lo, hi = max(bounds[v][0], lo_o - hi_s), min(bounds[v][1], hi_o - lo_s)
                    if (lo, hi) != bounds[v]:
                        bounds[v] = (lo, hi)
                        moved = True
        if not moved:
            break
    return bounds


def _p_noise(z, alpha):
    return (1 - alpha) / (1 + alpha) * alpha ** abs(z)


def test_ten_days_of_everything_public_recover_no_small_cell(personas, programs, tmp_path, capsys):
    days = []
    for d in range(10):
        when = dt.datetime(2016, 8, 10 + d, 9, tzinfo=dt.UTC)
        for i in range(3 + d % 4):
            _register(personas, when, i, d)
        assert main(["ledger", "publish", "--force"]) == 0
        out = tmp_path / f"day{d}"
        assert main(["ledger", "bulletin", "--program", PROGRAM, "--out", str(out)]) == 0
        truth = figures_exact(live_records(), program=PROGRAM)
        days.append((out, truth))
    capsys.readouterr()

    # the public leaves: nothing but commitments and totals leaves, so no one is unique
    singled_out = attributes = 0
    leaves = [json.loads(x) for x in (days[-1][0] / "leaves.jsonl").read_text().splitlines()]
    for leaf in leaves:
        if set(leaf) not in ({"commitment"}, {"as_of_size", "exact", "program"}):
            attributes += 1
    commitments = [leaf["commitment"] for leaf in leaves if "commitment" in leaf]
    assert len(set(commitments)) == len(commitments)  # no two leaves linkable by equality
    classes = {"commitment": len(commitments)}  # the only public attribute combination
    singled_out = sum(1 for n in classes.values() if n == 1)

    sizes = [json.loads((o / "tree-head.json").read_text())["size"] for o, _ in days]
    print("head growth per day:", [b - a for a, b in zip([0, *sizes], sizes, strict=False)])

    recovered = small = hits = 0
    alpha = None
    for out, truth in days:
        bulletin = json.loads((out / f"bulletin-{PROGRAM}.json").read_text())
        method = bulletin["method"]
        min_cell = method["min_cell"]
        alpha = math.exp(-method["epsilon"])
        cells = _cells(bulletin)
        bounds = {k: _interval(v, min_cell) for k, v in cells.items()}
        exact = bulletin.get("exact") or {}
        if exact and exact.get("as_of_size") == bulletin["tree_head"]["size"] - 1:
            r = exact["figures"]["registered"]
            bounds[("figures", "registered")] = (r, r)
        equations = []
        for f in FIGS:
            for table in ("by_station", "by_sex", "by_age_band"):
                keys = [(table, key, f) for key in bulletin[table]]
                if keys:
                    equations.append(([("figures", f)], keys))
        rows = [("figures",), ("children",)] + [
            (t, k) for t in ("by_station", "by_sex", "by_age_band") for k in bulletin[t]
        ]
        for row in rows:
            equations.append(([(*row, "registered")], [(*row, f) for f in FIGS[1:]]))
        bounds = _propagate(bounds, equations)
        real = _truth(truth)
        for key, value in real.items():
            if 1 <= value < min_cell:
                small += 1
                lo, hi = bounds.get(key, (None, None))
                if lo == hi == value:
                    recovered += 1
                p = cells.get(key)
                scores = {
                    x: (1.0 if p is None else 0.0) if p is None else _p_noise(p - x, alpha)
                    for x in range(1, min_cell)
                }
                if p is None:  # P(null | x) grows as x shrinks: the ML guess is 1
                    scores = {x: 1.0 / x for x in range(1, min_cell)}
                if max(scores, key=scores.get) == value:
                    hits += 1
    print(
        f"small cells {small}, recovered with certainty {recovered}, "
        f"ML guess right {hits}/{small} = {hits / max(small, 1):.0%} (chance 25%)"
    )
    assert attributes == 0
    assert singled_out == 0
    assert recovered == 0
