"""Red team (issue 17): an attacker with everything public (all bulletins of ten days at four
stations, corridor tallies, the heads, the public leaves) recovers no small cell with
certainty and singles out no one.

The attacker puts every published cell of every day into one integer system: each cell in
[published - 177, published + 177] (docs: the noise is bounded at +-177), at least 1 when
shown (null included: zeros are published as 0), 0 when absent; tables add up to the program
and rows to their registered; the by_day cells add up to the total; decision records are at
least the decided cases; the exact block fixes the total at the day it was computed, a null
block says the total is 1..4 and a held block that it moved by 0..4; between days registered
never falls (and rises where its published number changed: other people), today's total
minus yesterday's is today's by_day cell, and a past day's by_day or corridor cell shown
with the same number is the same value. Bounds are propagated to a fixpoint; then every cell
whose true value is small is probed value by value (1..4, and the ranges below and above as
wholes): it is recovered when exactly one value survives."""

from __future__ import annotations

import datetime as dt
import json
import math
import time

import pytest

from sulh.accounts.models import Role
from sulh.accounts.services import station_create, user_create
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger.disclosure import figures_exact
from sulh.ledger.publication import live_records
from sulh.registry.schemas import IntakeIn
from tests.clients import device_client
from tests.conftest import PASSWORD, make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
BOUND = 177  # docs/disclosure.md: the draw's support is bounded at +-177
FIGS = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")


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


class _System:
    """Integer variables with interval bounds and constraints lo <= sum(c * x) <= hi
    (c = +-1), propagated to a fixpoint; a probe narrows one variable and reports whether
    the system is still feasible (sound: an infeasible answer is a proof)."""

    def __init__(self):
        self.names, self.index, self.lo, self.hi = [], {}, [], []
        self.cons, self.uses, self.families = [], [], []
        self.family, self.off = "", set()

    def var(self, name, lo=0, hi=10**9):
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
            self.lo.append(lo)
            self.hi.append(hi)
            self.uses.append([])
        i = self.index[name]
        self.lo[i], self.hi[i] = max(self.lo[i], lo), min(self.hi[i], hi)
        return i

    def known(self, name):
        """A variable already published, or one the bulletin leaves out: a true zero."""
        return self.index[name] if name in self.index else self.var(name, 0, 0)

    def add(self, terms, lo, hi):
        k = len(self.cons)
        self.cons.append((terms, lo, hi))
        self.families.append(self.family)
        for _, v in terms:
            self.uses[v].append(k)

    def propagate(self, lo, hi, queue, budget=200_000):
        """Narrow lo/hi in place; False when some variable has no value left."""
        pending = set(queue)
        queue = list(queue)
        while queue:
            budget -= 1
            if budget < 0:
                return True  # inconclusive: treated as feasible (claims nothing)
            k = queue.pop()
            pending.discard(k)
            if self.families[k] in self.off:
                continue
            terms, clo, chi = self.cons[k]
            smin = sum(lo[v] if c > 0 else -hi[v] for c, v in terms)
            smax = sum(hi[v] if c > 0 else -lo[v] for c, v in terms)
            if smin > chi or smax < clo:
                return False
            for c, v in terms:
                own_min = lo[v] if c > 0 else -hi[v]
                own_max = hi[v] if c > 0 else -lo[v]
                tlo, thi = clo - (smax - own_max), chi - (smin - own_min)  # bounds on c*x
                nlo, nhi = (tlo, thi) if c > 0 else (-thi, -tlo)
                if nlo > lo[v] or nhi < hi[v]:
                    lo[v], hi[v] = max(lo[v], nlo), min(hi[v], nhi)
                    if lo[v] > hi[v]:
                        return False
                    for j in self.uses[v]:
                        if j not in pending:
                            pending.add(j)
                            queue.append(j)
        return True

    def solve(self):
        self.start = list(self.lo), list(self.hi)
        assert self.propagate(self.lo, self.hi, range(len(self.cons)))

    def needed(self, v, small):
        """The families of constraints without which v is no longer pinned."""
        solved, out = (self.lo, self.hi), []
        for family in sorted(set(self.families)):
            self.off = {family}
            self.lo, self.hi = list(self.start[0]), list(self.start[1])
            self.propagate(self.lo, self.hi, range(len(self.cons)))
            inside, outside = self.candidates(v, small)
            if len(inside) != 1 or outside:
                out.append(family)
        self.off, (self.lo, self.hi) = set(), solved
        return out

    def feasible(self, v, lo, hi):
        a, b = list(self.lo), list(self.hi)
        a[v], b[v] = max(a[v], lo), min(b[v], hi)
        return a[v] <= b[v] and self.propagate(a, b, self.uses[v])

    def candidates(self, v, small):
        """The values of 1..small-1 the system allows for v, and whether any other value
        is allowed (ranges below and above probed as wholes, a relaxation)."""
        lo, hi = self.lo[v], self.hi[v]
        inside = [x for x in range(max(lo, 1), min(hi, small - 1) + 1) if self.feasible(v, x, x)]
        outside = (lo <= 0 and self.feasible(v, lo, 0)) or (
            hi >= small and self.feasible(v, small, hi)
        )
        return inside, outside


def _p_noise(z, alpha):
    return (1 - alpha) / (1 + alpha) * alpha ** abs(z)


def _likelihood(published, x, alpha, min_cell):
    """P(published | true value x) under the documented noise."""
    if published is None:  # x + Z < min_cell
        return sum(_p_noise(z, alpha) for z in range(-BOUND, min_cell - x))
    return _p_noise(published - x, alpha)


def _four_stations(personas):
    """Two more stations with a clerk each (the fixtures give two)."""
    clerks = [personas["clerk"], personas["clerk2"]]
    for n in (3, 4):
        station = station_create(code=f"alp{n}", name_ar=f"مركز {n}", name_en=f"Centre {n}")
        user = user_create(
            username=f"clerk-x{n}", password=PASSWORD, role=Role.CLERK, station=station
        )
        clerks.append(user)
    return clerks


def _register(clerks, personas, when, i, day, *, opening=False):
    sex = "female" if (i + day) % 5 == 0 else "male"
    year = 2004 if (i + day) % 7 == 0 and not opening else 1970 + (i * 3 + day) % 26
    payload = make_intake(
        PROGRAM,
        submitted_at=when,
        origin="local" if i % 3 else "non_local",
        person={"sex": sex, "birth_date": f"{year}-03-0{1 + i % 9}"},
    )
    clerk = clerks[i if opening else (i * 3 + day) % len(clerks)]
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


def _build(system, d, bulletin, previous, sizes):
    """Every public constraint of bulletin ``d`` (and between it and bulletin ``d - 1``)."""
    min_cell = bulletin["method"]["min_cell"]
    cells = _cells(bulletin)

    def cell(day, key):
        return system.known(("c", day, key))

    for key, value in cells.items():
        system.var(("c", d, key), *_interval(value, min_cell))
    system.family = "table sums"
    for f in FIGS:  # within the day: tables add up to the program, rows to registered
        for table in ("by_station", "by_sex", "by_age_band"):
            keys = [(table, key, f) for key in bulletin[table]]
            terms = [(1, cell(d, ("figures", f)))] + [(-1, cell(d, k)) for k in keys]
            system.add(terms, 0, 0)
    rows = [("figures",), ("children",)] + [
        (t, k) for t in ("by_station", "by_sex", "by_age_band") for k in bulletin[t]
    ]
    system.family = "row sums"
    for row in rows:
        terms = [(1, cell(d, (*row, "registered")))]
        terms += [(-1, cell(d, (*row, f))) for f in FIGS[1:]]
        system.add(terms, 0, 0)
    # by_day: the cumulative total is the sum of the days; decisions at least the decided
    for x, row in bulletin["by_day"].items():
        for f in ("registered", "decided"):
            system.var(("bd", d, x, f), *_interval(row.get(f, 0), min_cell))
    bd = lambda x, f: system.known(("bd", d, x, f))  # noqa: E731
    system.family = "by_day sum"
    system.add(
        [(1, cell(d, ("figures", "registered")))]
        + [(-1, bd(x, "registered")) for x in bulletin["by_day"]],
        0,
        0,
    )
    system.family = "decided >= decided cases"
    system.add(
        [(1, bd(x, "decided")) for x in bulletin["by_day"]]
        + [(-1, cell(d, ("figures", f))) for f in FIGS[1:5]],
        0,
        10**9,
    )
    for x, row in bulletin["corridor"].items():
        for point, value in row.items():
            system.var(("cor", d, x, point), *_interval(value, min_cell))
    # the exact block: the total at the day whose head it was computed at; held, a small step
    exact = bulletin.get("exact")
    total = cell(d, ("figures", "registered"))
    if exact is None:
        system.family = "exact block null"
        system.add([(1, total)], 0, min_cell - 1)
    else:
        at = min(j for j, s in enumerate(sizes) if s >= exact["as_of_size"])
        value = exact["figures"]["registered"]
        system.family = "exact block"
        system.add([(1, cell(at, ("figures", "registered")))], value, value)
        if at < d:
            system.family = "hold rule"
            system.add([(1, total), (-1, cell(at, ("figures", "registered")))], 0, min_cell - 1)
    if previous is None:
        return
    before = _cells(previous)
    # between days: registered never falls, and a changed number means changed people
    system.family = "registered never falls"
    for key in set(cells) | set(before):
        if key[-1] != "registered":
            continue
        step = 1 if key in cells and key in before and cells[key] != before[key] else 0
        system.add([(1, cell(d, key)), (-1, cell(d - 1, key))], step, 10**9)
    today = (dt.date(2016, 8, 10) + dt.timedelta(days=d)).isoformat()  # the simulated day
    if today in bulletin["by_day"]:
        system.family = "today = total - yesterday"
        system.add(
            [
                (1, total),
                (-1, cell(d - 1, ("figures", "registered"))),
                (-1, bd(today, "registered")),
            ],
            0,
            0,
        )
    # the same published number for a past day's cell: the same people, the same value
    system.family = "past by_day equal"
    for x, row in bulletin["by_day"].items():
        for f in ("registered", "decided"):
            old = previous["by_day"].get(x, {})
            if x < today and f in old and old.get(f) == row.get(f):
                system.add([(1, bd(x, f)), (-1, system.known(("bd", d - 1, x, f)))], 0, 0)
    system.family = "corridor equal"
    for x, row in bulletin["corridor"].items():
        for point, value in row.items():
            if x < today and previous["corridor"].get(x, {}).get(point, "none") == value:
                system.add(
                    [
                        (1, system.known(("cor", d, x, point))),
                        (-1, system.known(("cor", d - 1, x, point))),
                    ],
                    0,
                    0,
                )


@pytest.mark.xfail(
    strict=False,  # 5 runs of 13 succeeded: it depends on the random secret and links
    reason="ATTACK-SUCCEEDS: day 0 (3 adults at 3 stations) is pinned by day 1's exact block "
    "(the total, exact) = the sum of the station rows, each row at least its day-0 value "
    "(registered never falls, +1 where its number changed) and at least the number of its "
    "non-zero outcome cells (zeros are published as 0): when these lower bounds add up to "
    "the exact total, every station's registered (1) and its outcome cell (1) are pinned "
    "(a known break: issue 17 stays open until the method changes)",
)
def test_ten_days_of_everything_public_recover_no_small_cell(personas, programs, tmp_path, capsys):
    recovered, singled_out = _attack(personas, tmp_path, capsys, opening=False)
    assert singled_out == 0
    assert recovered == 0


@pytest.mark.xfail(
    strict=True,
    reason="ATTACK-SUCCEEDS: a first day of 4 adults, one at each of 4 stations: the exact "
    "block is null (total in 1..4), each published station row says >= 1, so each "
    "station's registered is 1 and its one non-zero outcome cell is that person's outcome "
    "(a known break: issue 17 stays open until the method changes)",
)
def test_an_opening_day_of_one_adult_per_station_recovers_no_small_cell(
    personas, programs, tmp_path, capsys
):
    recovered, singled_out = _attack(personas, tmp_path, capsys, opening=True)
    assert singled_out == 0
    assert recovered == 0


def _attack(personas, tmp_path, capsys, *, opening):
    started = time.monotonic()
    clerks = _four_stations(personas)
    tallies = device_client(personas["coordinator"], scopes=["tallies"])
    points = [c.station.code for c in clerks]
    days = []
    for d in range(10):
        when = dt.datetime(2016, 8, 10 + d, 9, tzinfo=dt.UTC)
        for i in range(4 + d % 4):
            _register(clerks, personas, when, i, d, opening=opening and d == 0)
        for p, point in enumerate(points):
            count = 1 + (d + p) % 4 if (d + p) % 2 else 40 + 7 * d + p
            body = {"point": point, "day": when.date().isoformat(), "count": count}
            response = tallies.post(
                f"/api/programs/{PROGRAM}/corridor-tallies",
                data=json.dumps(body),
                content_type="application/json",
            )
            assert response.status_code == 201
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
    bulletins = [json.loads((o / f"bulletin-{PROGRAM}.json").read_text()) for o, _ in days]
    assert len({b["by_station"].keys().__len__() for b in bulletins[-1:]}) == 1
    assert len(bulletins[-1]["by_station"]) >= 4

    # one system over all ten days, propagated to a fixpoint
    system = _System()
    for d, bulletin in enumerate(bulletins):
        _build(system, d, bulletin, bulletins[d - 1] if d else None, sizes)

    method = bulletins[-1]["method"]
    min_cell, alpha = method["min_cell"], math.exp(-method["epsilon"])

    def truth_of(name):
        kind, d = name[0], name[1]
        truth, bulletin = days[d][1], bulletins[d]
        if kind == "c":
            return _truth(truth).get(name[2], 0), _cells(bulletin).get(name[2])
        table = "by_day" if kind == "bd" else "corridor"
        return (
            truth[table].get(name[2], {}).get(name[3], 0),
            bulletin[table].get(name[2], {}).get(name[3]),
        )

    real = [truth_of(name)[0] for name in system.names]
    for v, name in enumerate(system.names):  # every bound and constraint holds at the truth
        assert system.lo[v] <= real[v] <= system.hi[v], (name, real[v])
    for terms, lo, hi in system.cons:
        assert lo <= sum(c * real[v] for c, v in terms) <= hi, [
            (c, system.names[v], real[v]) for c, v in terms
        ]
    system.solve()

    small = recovered = narrowed = hits = uniform = 0.0
    truths, pinned = [], []
    for name, v in system.index.items():
        value, published = truth_of(name)
        if not 1 <= value < min_cell:
            continue
        small += 1
        truths.append(value)
        inside, outside = system.candidates(v, min_cell)
        assert value in inside, (name, value, inside)  # every constraint used is sound
        narrowed += len(inside) < min_cell - 1 or not outside
        if inside == [value] and not outside:
            recovered += 1
            pinned.append(name)
        uniform += 1 / len(inside) if value in inside else 0
        guess = max(inside, key=lambda x: _likelihood(published, x, alpha, min_cell))
        hits += guess == value
    common = max(set(truths), key=truths.count)
    mode_hits = truths.count(common)
    print(
        f"variables {len(system.names)}, constraints {len(system.cons)}; small cells {small:.0f}, "
        f"narrowed {narrowed:.0f}, recovered with certainty {recovered:.0f}; "
        f"best guess right {hits:.0f} = {hits / max(small, 1):.0%} (blind uniform "
        f"{1 / (min_cell - 1):.0%}, uniform over the feasible values "
        f"{uniform / max(small, 1):.0%}, always {common} {mode_hits / max(small, 1):.0%}); "
        f"{time.monotonic() - started:.1f} s"
    )
    for name in pinned[:2]:
        print("pinned:", name, truth_of(name), "needs", system.needed(system.index[name], min_cell))
    assert attributes == 0
    assert singled_out == 0  # by the public leaves
    return recovered, sum(1 for name in pinned if truth_of(name)[0] == 1)
