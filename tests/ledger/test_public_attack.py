"""Red team (issue 17), against `sulh-cellkey/3`: an attacker with everything public (all
bulletins of ten days at four stations, corridor tallies, the heads, the public leaves)
recovers no small cell with certainty and singles out no one.

The attacker's model is what docs/disclosure.md (v3, "with anchors") and
docs/transparency.md say, and nothing else; every variable is a true value at a bulletin
("T", day, cell), and

- a stepped cell (one that only gains contributors of weight 1: a row's `registered`, an
  outcome, since no appeal undoes one here, the by_day rows) anchors at every fifth
  newcomer, so its published state is 5 K with K = floor(T / 5): T = 5 K + 0..4, and the
  number shown is 5 K + noise, |noise| <= 177 (a `null`: 5 K + noise < 5);
- any other cell (`pending`, corridor tallies) has its published state within 4 of T, and
  the number shown is that plus the noise;
- the program's `registered` is drawn at the exact block's size: its number says nothing
  the block does not; the block is the total at the head it was computed at, a missing
  block says the total is 0..4, a held one that it moved by -4..4 since the block;
- every record falls in a declared row: the stations, sexes and bands each add up to the
  program, each row's outcomes to its registered, the by_day rows to the total; decision
  records are at least the decided cases;
- between days: stepped cells and corridor cells never fall, K never falls, and a stepped
  cell whose number changed anchored since yesterday: K grew, and 5 K (its value at the
  anchor, a newcomer's arrival) exceeds yesterday's value; an unchanged number says
  nothing certain (the new draw may show the same number); past days' rows stay;
- the head's growth bounds what was logged in between (one leaf a registration, a
  decision record, a tally).

The anchor model is checked at the truth (`check_anchor_model`: a stepped cell shows the
same number while floor(T / 5) stays), and so is every constraint (`check_at`). Bounds are
propagated to a fixpoint; then every cell whose true value is small is probed value by
value: it is recovered when exactly one value survives. Beside the certain system, a
Bayesian attacker (a Gibbs sampler over the people behind the tables, each with a
registration day, station, sex, band and outcome, every published cell of every day
scored by the documented noise around its v3 published state) makes a best guess of each
small cell; the hit rate is printed against the blind baselines."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import time

import pytest

from sulh.accounts.models import Role
from sulh.accounts.services import station_create, user_create
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger.disclosure import Rows, figures_exact
from sulh.ledger.publication import live_records
from sulh.registry.schemas import IntakeIn
from tests.clients import device_client
from tests.conftest import PASSWORD, make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
BOUND = 177  # docs/disclosure.md: the draw's support is bounded at +-177
FIGS = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
OUTCOMES = FIGS[1:]
TABLES = ("by_station", "by_sex", "by_age_band")
FIRST_DAY = dt.date(2016, 8, 10)  # the simulated days: bulletin d is published on day d
HUGE = 10**9
DEBUG = False


def _cells(bulletin):
    """(name, published value) of every person cell of a bulletin."""
    out = {}
    for f in FIGS:
        out[("figures", f)] = bulletin["figures"].get(f)
        out[("children", f)] = bulletin["children"].get(f)
        for table in TABLES:
            for key, row in bulletin[table].items():
                out[(table, key, f)] = row.get(f)
    return out


def _truth(exact):
    out = {}
    for f in FIGS:
        out[("figures", f)] = exact["figures"].get(f, 0)
        out[("children", f)] = exact["children"].get(f, 0)
        for table in TABLES:
            for key, row in exact[table].items():
                out[(table, key, f)] = row.get(f, 0)
    return out


def _interval(value, min_cell):
    """docs v2: a number p is p + noise, |noise| <= 177; null is value + noise < min_cell."""
    assert value != 0 and (value is None or value >= min_cell)  # no bulletin shows 0..4
    if value is None:
        return (0, min_cell - 1 + BOUND)
    return (max(0, value - BOUND), value + BOUND)


class _System:
    """Integer variables with interval bounds and constraints lo <= sum(c * x) <= hi
    (c integers: a stepped cell's value is 5 K + R), some guarded (active once the guard variable is at least 1), propagated to
    a fixpoint; a probe narrows one variable and reports whether the system is still
    feasible (sound: an infeasible answer is a proof)."""

    def __init__(self):
        self.names, self.index, self.lo, self.hi = [], {}, [], []
        self.cons, self.uses, self.families, self.guards = [], [], [], []
        self.family, self.off = "", set()

    def var(self, name, lo=0, hi=HUGE):
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
            self.lo.append(lo)
            self.hi.append(hi)
            self.uses.append([])
        i = self.index[name]
        self.lo[i], self.hi[i] = max(self.lo[i], lo), min(self.hi[i], hi)
        return i

    def add(self, terms, lo, hi, guard=None):
        k = len(self.cons)
        self.cons.append((terms, lo, hi))
        self.families.append(self.family)
        self.guards.append(guard)
        for _, v in terms:
            self.uses[v].append(k)
        if guard is not None and k not in self.uses[guard]:
            self.uses[guard].append(k)

    def propagate(self, lo, hi, queue, budget=400_000):
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
            guard = self.guards[k]
            if guard is not None and lo[guard] < 1:
                continue
            terms, clo, chi = self.cons[k]
            mins = [c * lo[v] if c > 0 else c * hi[v] for c, v in terms]
            maxs = [c * hi[v] if c > 0 else c * lo[v] for c, v in terms]
            smin, smax = sum(mins), sum(maxs)
            if smin > chi or smax < clo:
                return False
            for (c, v), own_min, own_max in zip(terms, mins, maxs, strict=True):
                tlo, thi = clo - (smax - own_max), chi - (smin - own_min)  # bounds on c*x
                if c > 0:
                    nlo, nhi = -(-tlo // c), thi // c
                else:
                    nlo, nhi = -(-thi // c), tlo // c
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

    def candidates(self, v, small, low=1):
        """The values of low..small-1 the system allows for v, and whether any other value
        is allowed (ranges below and above probed as wholes, a relaxation)."""
        lo, hi = self.lo[v], self.hi[v]
        inside = [x for x in range(max(lo, low), min(hi, small - 1) + 1) if self.feasible(v, x, x)]
        outside = (lo < low and self.feasible(v, lo, low - 1)) or (
            hi >= small and self.feasible(v, small, hi)
        )
        return inside, outside

    def check_at(self, real):
        """Every bound and every (active) constraint holds at the true values."""
        for v, name in enumerate(self.names):
            assert self.lo[v] <= real[v] <= self.hi[v], (name, real[v], self.lo[v], self.hi[v])
        for (terms, lo, hi), guard, family in zip(
            self.cons, self.guards, self.families, strict=True
        ):
            if guard is not None and real[guard] < 1:
                continue
            assert lo <= sum(c * real[v] for c, v in terms) <= hi, (
                family,
                [(c, self.names[v], real[v]) for c, v in terms],
            )


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


def _register(clerks, personas, when, i, day, *, opening=False, rng=None):
    """Register one adult (or, now and then, a child) and decide the case the same day.
    Without `rng` the fixed pattern of the v2 attacker; with it, drawn (stations weighted
    4:3:2:1, so that the last is quiet). Returns (station, sex, year, outcome) or None."""
    if rng is None:
        sex = "female" if (i + day) % 5 == 0 else "male"
        year = 2004 if (i + day) % 7 == 0 and not opening else 1970 + (i * 3 + day) % 26
        clerk = clerks[i if opening else (i * 3 + day) % len(clerks)]
        outcome = ("amnesty", "departure", "referral", "denial", None)[(i + day) % 5]
    else:
        sex = "female" if rng.random() < 0.25 else "male"
        year = 2004 if rng.random() < 0.12 and not opening else rng.randint(1966, 1997)
        clerk = clerks[i] if opening else rng.choices(clerks, [4, 3, 2, 1])[0]
        outcome = rng.choice(("amnesty", "departure", "referral", "denial", None))
    payload = make_intake(
        PROGRAM,
        submitted_at=when,
        origin="local" if i % 3 else "non_local",
        person={"sex": sex, "birth_date": f"{year}-03-0{1 + i % 9}"},
    )
    case = intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=when).case
    person = {"day": day, "station": clerk.station.code, "sex": sex, "year": year}
    person["outcome"] = None
    if case.state != "screened":
        return person
    if outcome is None:
        return person
    try:
        decision = case_services.decision_record(
            case=case,
            user=personas["decider"],
            outcome=outcome,
            reason="test reason for the attack",
            destination="idlib" if outcome == "departure" else "",
        )
        if outcome in ("referral", "denial"):
            # The second officer must give a reason too (ValidationFailed "a reason is
            # required" otherwise): before attack4 this raised and was swallowed below, so
            # no referral or denial ever took effect in any simulated run.
            case_services.decision_confirm(
                decision=decision, user=personas["decider2"], reason="test confirmation"
            )
    except Exception:
        return person
    person["outcome"] = outcome
    return person


class Days(list):
    """The simulated days, with `people`: what an onlooker at the stations could see (day,
    station, sex, birth year) and the outcome (the truth the attacker is after)."""

    people: list


def simulate(personas, tmp_path, capsys, *, opening, days=10, seed=None):
    """Ten days at four stations (on an opening day, one adult at each): registrations,
    decisions, corridor tallies, a publication and the public bulletin each day. Returns
    [(bulletin, leaves, head, truth over the bulletin's declared rows)]. Without `seed` the
    v2 attacker's fixed pattern; with one, drawn from it (3 to 9 people a day)."""
    rng = None if seed is None else random.Random(seed)
    clerks = _four_stations(personas)
    tallies = device_client(personas["coordinator"], scopes=["tallies"])
    points = [c.station.code for c in clerks]
    out = Days()
    out.people = []
    for d in range(days):
        when = dt.datetime(2016, 8, 10 + d, 9, tzinfo=dt.UTC)
        n = 4 + d % 4 if rng is None else rng.randint(3, 9)
        if opening and d == 0:
            n = 4
        for i in range(n):
            person = _register(clerks, personas, when, i, d, opening=opening and d == 0, rng=rng)
            out.people.append(person)
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
        where = tmp_path / f"day{d}"
        assert main(["ledger", "bulletin", "--program", PROGRAM, "--out", str(where)]) == 0
        bulletin = json.loads((where / f"bulletin-{PROGRAM}.json").read_text())
        leaves = [json.loads(x) for x in (where / "leaves.jsonl").read_text().splitlines()]
        head = json.loads((where / "tree-head.json").read_text())
        rows = Rows.of_bulletin(bulletin)
        truth = figures_exact(live_records(), program=PROGRAM, rows=rows)
        out.append((bulletin, leaves, head, truth))
    capsys.readouterr()
    return out


def leaf_classes(leaves):
    """Public leaves grouped by their public attributes: (attributes beyond the two shapes,
    classes of size 1 among commitment leaves)."""
    attributes = 0
    for leaf in leaves:
        if set(leaf) not in ({"commitment"}, {"as_of_size", "exact", "program"}):
            attributes += 1
    commitments = [leaf["commitment"] for leaf in leaves if "commitment" in leaf]
    assert len(set(commitments)) == len(commitments)  # no two leaves linkable by equality
    classes: dict[tuple, int] = {}
    for leaf in leaves:
        if "commitment" in leaf:
            key = tuple(sorted((k, len(str(v))) for k, v in leaf.items()))
            classes[key] = classes.get(key, 0) + 1
    return attributes, sum(1 for n in classes.values() if n == 1 and len(commitments) > 1)


def _sim_day(d):
    return (FIRST_DAY + dt.timedelta(days=d)).isoformat()


def _key_bounds(value, min_cell):
    """docs v3, a cell that only gains contributors of weight 1 (registered, an outcome no
    appeal undoes, a day's rows): it anchors at every min_cell-th newcomer, so its
    published state is min_cell * K with K = floor(value / min_cell), and the number shown
    is that plus the noise: bounds on K."""
    assert value != 0 and (value is None or value >= min_cell)  # no bulletin shows 0..4
    if value is None:  # min_cell * K + noise < min_cell
        return (0, (min_cell - 1 + BOUND) // min_cell)
    return (max(0, -(-(value - BOUND) // min_cell)), (value + BOUND) // min_cell)


def _loose_bounds(value, min_cell):
    """docs v3, any other cell: the published state is within min_cell - 1 of the value
    now (fewer than min_cell moved since the anchor), and the number is that plus noise."""
    lo, hi = _interval(value, min_cell)
    return (max(0, lo - (min_cell - 1)), hi + (min_cell - 1))


def _is_stepped(key):
    """Cells the attacker takes to only gain people (checked at the truth): every person
    cell but `pending` and the program's `registered` (drawn at the exact block), and the
    by_day rows."""
    if key[0] == "by_day":
        return True
    if key[0] == "corridor" or key[-1] == "pending":
        return False
    return key != ("figures", "registered")


def _all_cells(bulletin):
    """Every published cell of a bulletin, by name: person cells as in _cells, by_day as
    ("by_day", day, figure), corridor as ("corridor", day, point)."""
    out = dict(_cells(bulletin))
    for x, row in bulletin["by_day"].items():
        for f in ("registered", "decided"):
            out[("by_day", x, f)] = row.get(f)
    for x, row in bulletin["corridor"].items():
        for point, value in row.items():
            out[("corridor", x, point)] = value
    return out


def _all_truth(truth):
    out = dict(_truth(truth))
    for x, row in truth["by_day"].items():
        for f in ("registered", "decided"):
            out[("by_day", x, f)] = row.get(f, 0)
    for x, row in truth["corridor"].items():
        for point, value in row.items():
            out[("corridor", x, point)] = value
    return out


def build(system, days):
    """Every public constraint of every bulletin, and between consecutive ones, as v3
    allows (docs/disclosure.md, "with anchors"): variables ("T", d, cell), the true value
    at bulletin d, and ("K", d, cell) for the stepped cells (published state 5 K)."""
    bulletins = [b for b, _, _, _ in days]
    sizes = [h["size"] for _, _, h, _ in days]
    leaves = days[-1][1]
    totals_at = [i for i, leaf in enumerate(leaves) if "exact" in leaf]
    min_cell = bulletins[-1]["method"]["min_cell"]

    def t(d, key):
        return system.index[("T", d, key)]

    def k(d, key):
        return system.index[("K", d, key)]

    for d, bulletin in enumerate(bulletins):
        cells = _all_cells(bulletin)
        for key, value in cells.items():
            if key == ("figures", "registered"):
                system.var(("T", d, key))
            elif _is_stepped(key):
                system.var(("T", d, key))
                system.var(("K", d, key), *_key_bounds(value, min_cell))
                system.family = "stepped: value = 5 K + 0..4"
                system.add([(1, t(d, key)), (-min_cell, k(d, key))], 0, min_cell - 1)
            else:
                system.var(("T", d, key), *_loose_bounds(value, min_cell))
        system.family = "table sums"
        for f in FIGS:
            for table in TABLES:
                terms = [(1, t(d, ("figures", f)))]
                terms += [(-1, t(d, (table, r, f))) for r in bulletin[table]]
                system.add(terms, 0, 0)
        rows = [("figures",), ("children",)] + [(tb, r) for tb in TABLES for r in bulletin[tb]]
        system.family = "row sums"
        for row in rows:
            terms = [(1, t(d, (*row, "registered")))]
            terms += [(-1, t(d, (*row, f))) for f in OUTCOMES]
            system.add(terms, 0, 0)
        total = t(d, ("figures", "registered"))
        system.family = "by_day sum"
        terms = [(1, total)]
        terms += [(-1, t(d, ("by_day", x, "registered"))) for x in bulletin["by_day"]]
        system.add(terms, 0, 0)
        system.family = "decided >= decided cases"
        terms = [(1, t(d, ("by_day", x, "decided"))) for x in bulletin["by_day"]]
        terms += [(-1, t(d, ("figures", f))) for f in OUTCOMES[:4]]
        system.add(terms, 0, HUGE)
        exact = bulletin.get("exact")
        if exact is None:
            system.family = "exact block null"
            system.add([(1, total)], 0, min_cell - 1)
        else:
            at = min(j for j, s in enumerate(sizes) if s >= exact["as_of_size"])
            value = exact["figures"]["registered"]
            system.family = "exact block"
            system.add([(1, t(at, ("figures", "registered")))], value, value)
            if at < d:
                system.family = "hold rule"
                system.add([(1, total)], value - (min_cell - 1), value + min_cell - 1)
        # the head's growth: what was logged since the last head
        start = sizes[d - 1] if d else 0
        totals = sum(1 for i in totals_at if start <= i < sizes[d])
        previous = bulletins[d - 1] if d else None
        new_tallies = 0
        for x, row in bulletin["corridor"].items():
            old = previous["corridor"].get(x, {}) if previous else {}
            new_tallies += sum(1 for point in row if point not in old)
        system.family = "head growth"
        terms = [(1, total), (1, t(d, ("children", "registered")))]
        terms += [(1, t(d, ("by_day", x, "decided"))) for x in bulletin["by_day"]]
        if d:
            terms += [(-1, t(d - 1, ("figures", "registered")))]
            terms += [(-1, t(d - 1, ("children", "registered")))]
            terms += [(-1, t(d - 1, ("by_day", x, "decided"))) for x in previous["by_day"]]
        system.add(terms, -HUGE, sizes[d] - start - totals - new_tallies)
        if previous is None:
            continue
        before = _all_cells(previous)
        yesterday = _sim_day(d - 1)
        for key in cells:
            if key not in before:
                continue
            if key[0] == "corridor" or _is_stepped(key) or key == ("figures", "registered"):
                system.family = "stepped cells never fall"
                system.add([(1, t(d, key)), (-1, t(d - 1, key))], 0, HUGE)
            if _is_stepped(key):
                system.add([(1, k(d, key)), (-1, k(d - 1, key))], 0, HUGE)
                if cells[key] != before[key]:
                    # a changed number: an anchor since yesterday, min_cell more people,
                    # the last of them after yesterday's bulletin
                    system.family = "changed: anchored since"
                    system.add([(1, k(d, key)), (-1, k(d - 1, key))], 1, HUGE)
                    system.add([(min_cell, k(d, key)), (-1, t(d - 1, key))], 1, HUGE)
            if key[0] == "by_day" and key[1] < yesterday:
                system.family = "past days stay"
                system.add([(1, t(d, key)), (-1, t(d - 1, key))], 0, 0)


def real_values(days, system):
    """The truth of every variable: T from the exact tables, K = floor(T / min_cell)."""
    min_cell = days[-1][0]["method"]["min_cell"]
    truths = [_all_truth(truth) for _, _, _, truth in days]
    out = []
    for name in system.names:
        value = truths[name[1]].get(name[2], 0)
        out.append(value if name[0] == "T" else value // min_cell)
    return out


def solved(days):
    """The certain system of the days, propagated, and the truth of its variables (every
    bound and constraint checked at the truth, before and after)."""
    system = _System()
    build(system, days)
    real = real_values(days, system)
    system.check_at(real)
    system.solve()
    system.check_at(real)
    return system, real


def check_anchor_model(days):
    """docs v3, checked at the truth: a stepped cell shows the same number while
    floor(value / min_cell) stays, and another one only when it moved (the attacker's
    model); returns how often a moved floor showed the same number (coincidences)."""
    min_cell = days[-1][0]["method"]["min_cell"]
    moved = unseen = 0
    for (b0, _, _, t0), (b1, _, _, t1) in itertools.pairwise(days):
        p0, p1, r0, r1 = _all_cells(b0), _all_cells(b1), _all_truth(t0), _all_truth(t1)
        for key, value in p1.items():
            if key not in p0 or not _is_stepped(key):
                continue
            same = r0.get(key, 0) // min_cell == r1.get(key, 0) // min_cell
            assert not same or value == p0[key], (key, r0.get(key), r1.get(key))
            assert same or r1.get(key, 0) > r0.get(key, 0), key
            moved += not same
            unseen += not same and value == p0[key]
    return moved, unseen


# ---------------------------------------------------------------- the Bayesian attacker


def gibbs_guesses(days, system, *, sweeps=160, burn=50, seed=0):
    """Posterior histograms of every adult person cell and every simulated day's by_day
    registered cell, from a Gibbs sampler over the people: each person has a registration
    day (one of the bulletins' days), a station, sex, band and outcome (kept from day to
    day: the attacker's best case, true here); every published cell of every day is scored
    by the documented noise around its v3 published state (5 floor(x / 5) for a stepped
    cell, x for `pending`, the program's `registered` left out: it is drawn at the exact
    block); the cumulative totals stay within the certain bounds."""
    rng = random.Random(seed)
    bulletins = [b for b, _, _, _ in days]
    method = bulletins[-1]["method"]
    min_cell, alpha = method["min_cell"], math.exp(-method["epsilon"])
    n_days = len(bulletins)
    stations = sorted(bulletins[-1]["by_station"])
    sexes = sorted(bulletins[-1]["by_sex"])
    bands = sorted(bulletins[-1]["by_age_band"])
    choices = [stations, sexes, bands, list(OUTCOMES)]
    tables = ("by_station", "by_sex", "by_age_band")
    memo: dict[tuple, float] = {}

    def ll(cell, published, x):
        kind = 0 if cell == ("figures", "registered") else 1 if cell[-1] == "pending" else 2
        k = (kind, published, x)
        if k not in memo:
            if kind == 0:
                memo[k] = 0.0
            else:
                state = x if kind == 1 else min_cell * (x // min_cell)
                p = _likelihood(published, state, alpha, min_cell)
                memo[k] = math.log(max(p, 1e-300))
        return memo[k]

    published = [dict(_cells(b)) for b in bulletins]
    for d, b in enumerate(bulletins):
        for r in range(d + 1):
            published[d][("bd", r)] = b["by_day"][_sim_day(r)]["registered"]
    counts = [dict.fromkeys(p, 0) for p in published]
    bounds = []
    for d in range(n_days):
        v = system.index[("T", d, ("figures", "registered"))]
        bounds.append((system.lo[v], system.hi[v]))

    def person_cells(attrs, r, which=None):
        out = []
        s = attrs[:3]
        o = attrs[3]
        if which is None or which == 3:
            out += [("figures", o)] + [(t, s[i], o) for i, t in enumerate(tables)]
        if which is None:
            out += [("figures", "registered"), ("bd", r)]
        for i, t in enumerate(tables):
            if which is None or which == i:
                out += [(t, s[i], "registered")] + ([(t, s[i], o)] if which is not None else [])
        return out

    def shift(attrs, r, sign, which=None):
        cells = person_cells(attrs, r, which)
        for d in range(r, n_days):
            cnt = counts[d]
            for cell in cells:
                cnt[cell] += sign

    def gain(attrs, r, which=None):
        cells = person_cells(attrs, r, which)
        total = 0.0
        for d in range(r, n_days):
            cnt, pub = counts[d], published[d]
            for cell in cells:
                x = cnt[cell]
                total += ll(cell, pub[cell], x + 1) - ll(cell, pub[cell], x)
        return total

    # how many people: the last day's certain bounds (the exact block pins them mostly)
    lo, hi = bounds[-1]
    n_people = (lo + min(hi, lo + 2 * min_cell)) // 2
    cum, reg_days = 0, []
    for d in range(n_days):
        want = min(max(bounds[d][0], cum), n_people) if d < n_days - 1 else n_people
        reg_days += [d] * (want - cum)
        cum = want
    people = [[rng.choice(ch) for ch in choices] for _ in reg_days]
    tally = [dict.fromkeys(ch, 0) for ch in choices]
    for attrs, r in zip(people, reg_days, strict=True):
        shift(attrs, r, +1)
        for i, a in enumerate(attrs):
            tally[i][a] += 1
    cumulative = [sum(1 for r in reg_days if r <= d) for d in range(n_days)]

    hist: dict[tuple, dict[int, int]] = {}
    for sweep in range(sweeps):
        for p, attrs in enumerate(people):
            r = reg_days[p]
            for i, ch in enumerate(choices):
                old = attrs[i]
                shift(attrs, r, -1, i)
                tally[i][old] -= 1
                weights = []
                for value in ch:
                    trial = list(attrs)
                    trial[i] = value
                    weights.append(gain(trial, r, i) + math.log(tally[i][value] + 1))
                top = max(weights)
                pick = rng.choices(ch, [math.exp(w - top) for w in weights])[0]
                attrs[i] = pick
                tally[i][pick] += 1
                shift(attrs, r, +1, i)
            shift(attrs, r, -1)
            for d in range(r, n_days):
                cumulative[d] -= 1
            options, weights = [], []
            for r2 in range(n_days):
                if all(
                    bounds[d][0] <= cumulative[d] + (1 if d >= r2 else 0) <= bounds[d][1]
                    for d in range(n_days)
                ):
                    options.append(r2)
                    weights.append(gain(attrs, r2))
            if not options:
                options, weights = [r], [0.0]
            top = max(weights)
            r2 = rng.choices(options, [math.exp(w - top) for w in weights])[0]
            reg_days[p] = r2
            for d in range(r2, n_days):
                cumulative[d] += 1
            shift(attrs, r2, +1)
        if sweep >= burn:
            for d in range(n_days):
                for cell, x in counts[d].items():
                    h = hist.setdefault((d, cell), {})
                    h[x] = h.get(x, 0) + 1
    return hist


def _row_posterior(published_row, alpha, min_cell, cap=6):
    """Posterior of a children's row's five outcomes (registered their sum), uniform
    prior, each cell scored at its v3 published state."""

    def state(f, x):
        return x if f == "pending" else min_cell * (x // min_cell)

    post: dict[tuple, float] = {}
    lik = {
        f: [_likelihood(published_row[f], state(f, x), alpha, min_cell) for x in range(5 * cap + 1)]
        for f in FIGS
    }
    for xs in itertools.product(range(cap + 1), repeat=5):
        w = lik["registered"][sum(xs)]
        for f, x in zip(OUTCOMES, xs, strict=True):
            w *= lik[f][x]
        post[xs] = w
    return post


def attack(days, *, label, bayes=True):
    """The certain attack, then the Bayesian one; returns the figures of the run."""
    started = time.monotonic()
    bulletins = [b for b, _, _, _ in days]
    method = bulletins[-1]["method"]
    assert method["version"] == "sulh-cellkey/4"
    min_cell = method["min_cell"]
    moved, unseen = check_anchor_model(days)
    attributes, unique = leaf_classes(days[-1][1])
    system, real = solved(days)

    small = narrowed = recovered = zeros = zeros_pinned = 0
    pinned, small_names = [], []
    for name, v in system.index.items():
        if name[0] != "T":
            continue
        value = real[v]
        if value == 0:
            zeros += 1
            inside, outside = system.candidates(v, 1, low=0)
            assert value in inside
            if not outside:
                zeros_pinned += 1
                pinned.append(name)
            continue
        if not 1 <= value < min_cell:
            continue
        small += 1
        small_names.append(name)
        inside, outside = system.candidates(v, min_cell)
        assert value in inside, (name, value, inside)  # every constraint used is sound
        narrowed += len(inside) < min_cell - 1 or not outside
        if inside == [value] and not outside:
            recovered += 1
            pinned.append(name)
    singled_out = sum(1 for name in pinned if real[system.index[name]] == 1)
    figures = {
        "small": small,
        "narrowed": narrowed,
        "recovered": recovered,
        "singled_out": singled_out,
        "zeros": zeros,
        "zeros_pinned": zeros_pinned,
        "moved": moved,
        "unseen": unseen,
        "attributes": attributes,
        "unique": unique,
    }
    line = (
        f"{label}: variables {len(system.names)}, constraints {len(system.cons)}; small cells "
        f"{small}, narrowed {narrowed}, recovered with certainty {recovered}, singled out "
        f"{singled_out}; true zeros {zeros}, pinned at 0 {zeros_pinned}; stepped cells that "
        f"moved a step {moved}, of them showing yesterday's number {unseen}; leaves with "
        f"attributes {attributes}, unique leaf classes {unique}"
    )
    if bayes:
        figures.update(_bayes(days, system, real, small_names))
        line += (
            f"; best guess right {figures['hits']}/{small} = {figures['hit']:.0%} (own cell "
            f"alone {figures['own']:.0%}, blind uniform {figures['blind']:.0%}, always "
            f"{figures['mode_value']} {figures['mode']:.0%}); posterior >= 0.8 on "
            f"{figures['confident']}, right {figures['confident_right']}"
        )
    print(f"{line}; {time.monotonic() - started:.1f} s")
    for name in pinned[:3]:
        print(
            "pinned:", name, real[system.index[name]], "needs", system.needed(system.index[name], 5)
        )
    assert attributes == 0
    assert unique == 0
    return figures


def _bayes(days, system, real, small_names):
    """The Bayesian best guess of each small cell (the attacker is told it is 1..4)."""
    bulletins = [b for b, _, _, _ in days]
    method = bulletins[-1]["method"]
    min_cell, alpha = method["min_cell"], math.exp(-method["epsilon"])
    hist = gibbs_guesses(days, system)
    children = {d: _row_posterior(b["children"], alpha, min_cell) for d, b in enumerate(bulletins)}
    hits = own_hits = confident = confident_right = 0
    truths = []
    for name in small_names:
        _, d, key = name
        value = real[system.index[name]]
        published = _all_cells(bulletins[d])[key]
        truths.append(value)
        state = (lambda x: x) if not _is_stepped(key) else (lambda x: min_cell * (x // min_cell))
        scores = {x: _likelihood(published, state(x), alpha, min_cell) for x in range(1, min_cell)}
        own = max(scores, key=scores.get)
        guess, share = own, 0.0
        hkey = None
        if key[0] in ("figures", *TABLES):
            hkey = key
        elif key[0] == "by_day" and key[2] == "registered" and key[1][0] == "2":
            r = (dt.date.fromisoformat(key[1]) - FIRST_DAY).days
            hkey = ("bd", r) if 0 <= r <= d else None
        if hkey is not None and (d, hkey) in hist:
            h = hist[(d, hkey)]
            mass = sum(h.values())
            within = {x: h.get(x, 0) for x in range(1, min_cell)}
            if sum(within.values()):
                guess = max(within, key=within.get)
                share = within[guess] / mass
        elif key[0] == "children":
            post = children[d]
            f = key[1]
            marg = {x: 0.0 for x in range(1, min_cell)}
            for xs, w in post.items():
                x = sum(xs) if f == "registered" else xs[OUTCOMES.index(f)]
                if x in marg:
                    marg[x] += w
            guess = max(marg, key=marg.get)
            share = marg[guess] / sum(post.values())
        hits += guess == value
        own_hits += own == value
        if share >= 0.8:
            confident += 1
            confident_right += guess == value
    n = max(len(small_names), 1)
    mode = max(set(truths), key=truths.count) if truths else 1
    return {
        "hits": hits,
        "hit": hits / n,
        "own": own_hits / n,
        "blind": 1 / (min_cell - 1),
        "mode_value": mode,
        "mode": truths.count(mode) / n,
        "confident": confident,
        "confident_right": confident_right,
    }


# Measured on v3 (2026-12-07, --runxfail -s): the fixed pattern and drawn seeds 1-4, 5 runs:
# 317-382 small cells a run, 0-14 narrowed, 0 recovered, 0 singled out, no true zero pinned;
# the anchor model held at the truth in every run (40-52 steps a run, 5-12 of them showing
# yesterday's number by a coincidence of the draws); the Bayesian best guess right 26-38 %
# (own cell alone 20-22 %, blind 25 %, always 2: 33-37 %, an oracle's baseline), posterior
# >= 0.8 on 0-18 cells, right 11 of 18 (overconfident).
def test_ten_days_of_everything_public_recover_no_small_cell(personas, programs, tmp_path, capsys):
    days = simulate(personas, tmp_path, capsys, opening=False)
    result = attack(days, label="ten days")
    assert result["singled_out"] == 0
    assert result["recovered"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_ten_drawn_days_recover_no_small_cell(personas, programs, tmp_path, capsys, seed):
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed)
    with capsys.disabled():
        result = attack(days, label=f"ten drawn days, seed {seed}")
    assert result["singled_out"] == 0
    assert result["recovered"] == 0


# Measured (2 runs: the fixed pattern, seed 5): 301 and 335 small cells, 1 and 0 narrowed,
# 0 recovered, 0 singled out; best guess right 37 % and 36 % (always 2: 39 %, 33 %).
@pytest.mark.parametrize("seed", [None, 5])
def test_an_opening_day_of_one_adult_per_station_recovers_no_small_cell(
    personas, programs, tmp_path, capsys, seed
):
    days = simulate(personas, tmp_path, capsys, opening=True, seed=seed)
    with capsys.disabled():
        result = attack(days, label=f"opening day, seed {seed}")
    assert result["singled_out"] == 0
    assert result["recovered"] == 0
