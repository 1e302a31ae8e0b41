"""Red team (issue 17), against `sulh-cellkey/2`: an attacker with everything public (all
bulletins of ten days at four stations, corridor tallies, the heads, the public leaves)
recovers no small cell with certainty and singles out no one.

The attacker's model is what docs/disclosure.md (v2) and docs/transparency.md say, and
nothing else:

- a cell published as a number p has its true value in [p - 177, p + 177] (the draw's
  support), and at least 0; a `null` says only value + noise < 5, so [0, 181]: no row, no
  `null`, no missing block says that anyone is there (v1's "at least 1" is gone);
- every record falls in a declared row, so the stations, the sexes and the bands each add
  up to the program, each row's outcomes to its registered, the by_day rows to the total;
  decision records are at least the decided cases;
- the exact block is the total at the head it was computed at; no block says the total is
  0..4, and a held block that it moved by -4..4 since the block (0 held like 1..4);
- the same contributors give the same key and the same number: a cell whose number changed
  between two days has other people (for registered and decided, which only grow without
  duplicate closures: at least one more), and two cells where one set holds the other
  (a row's cell in the program's, an outcome in its row's registered, a day in the total)
  that show different numbers are different sets, so the smaller is at least one less
  (unless the larger is empty: empty cells are keyed by their path, so two empty cells
  may differ);
- the head's growth bounds what was logged in between: each registration, decision record
  and corridor tally is one leaf (padding and the totals leaf aside), so the day's new
  registrations and decisions are at most the growth minus the totals leaf and the
  tallies; corridor cells only grow (counts are at least 0);
- past by_day cells, unchanged in number, are the same value (nobody registers for a past
  day here: checked at the truth, like every constraint).

Bounds are propagated to a fixpoint; then every cell whose true value is small is probed
value by value: it is recovered when exactly one value survives. Every constraint is
checked at the truth (a failing one is a wrong model). Beside the certain system, a
Bayesian attacker (a Gibbs sampler over the people behind the tables, each with a
registration day, station, sex, band and outcome, every published cell of every day
scored by the documented noise, the certain bounds on the daily totals kept) makes a best
guess of each small cell; the hit rate is printed against the blind baselines."""

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
    (c = +-1), some guarded (active once the guard variable is at least 1), propagated to
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

    def propagate(self, lo, hi, queue, budget=300_000):
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


def simulate(personas, tmp_path, capsys, *, opening, days=10):
    """Ten days at four stations (on an opening day, one adult at each): registrations,
    decisions, corridor tallies, a publication and the public bulletin each day. Returns
    [(bulletin, leaves, head, truth over the bulletin's declared rows)]."""
    clerks = _four_stations(personas)
    tallies = device_client(personas["coordinator"], scopes=["tallies"])
    points = [c.station.code for c in clerks]
    out = []
    for d in range(days):
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


def build(system, days):
    """Every public constraint of every bulletin, and between consecutive ones."""
    bulletins = [b for b, _, _, _ in days]
    sizes = [h["size"] for _, _, h, _ in days]
    leaves = days[-1][1]
    totals_at = [i for i, leaf in enumerate(leaves) if "exact" in leaf]
    min_cell = bulletins[-1]["method"]["min_cell"]

    def c(d, key):
        return system.index[("c", d, key)]

    def bd(d, x, f):
        return system.index[("bd", d, x, f)]

    for d, bulletin in enumerate(bulletins):
        cells = _cells(bulletin)
        for key, value in cells.items():
            system.var(("c", d, key), *_interval(value, min_cell))
        for x, row in bulletin["by_day"].items():
            for f in ("registered", "decided"):
                system.var(("bd", d, x, f), *_interval(row.get(f), min_cell))
        for x, row in bulletin["corridor"].items():
            for point, value in row.items():
                system.var(("cor", d, x, point), *_interval(value, min_cell))
        system.family = "table sums"
        for f in FIGS:
            for table in TABLES:
                terms = [(1, c(d, ("figures", f)))]
                terms += [(-1, c(d, (table, k, f))) for k in bulletin[table]]
                system.add(terms, 0, 0)
        rows = [("figures",), ("children",)] + [(t, k) for t in TABLES for k in bulletin[t]]
        system.family = "row sums"
        for row in rows:
            terms = [(1, c(d, (*row, "registered")))]
            terms += [(-1, c(d, (*row, f))) for f in OUTCOMES]
            system.add(terms, 0, 0)
        total = c(d, ("figures", "registered"))
        system.family = "by_day sum"
        terms = [(1, total)] + [(-1, bd(d, x, "registered")) for x in bulletin["by_day"]]
        system.add(terms, 0, 0)
        system.family = "decided >= decided cases"
        terms = [(1, bd(d, x, "decided")) for x in bulletin["by_day"]]
        terms += [(-1, c(d, ("figures", f))) for f in OUTCOMES[:4]]
        system.add(terms, 0, HUGE)
        # different numbers, one set inside the other: the smaller has fewer people
        system.family = "different numbers, nested sets"
        for key, value in cells.items():
            if key[0] in TABLES:
                outer = ("figures", key[-1])
                if cells[outer] != value:
                    system.add([(1, c(d, outer)), (-1, c(d, key))], 1, HUGE, guard=c(d, outer))
            if key[-1] != "registered":
                outer = (*key[:-1], "registered")
                if cells[outer] != value:
                    system.add([(1, c(d, outer)), (-1, c(d, key))], 1, HUGE, guard=c(d, outer))
        for x, row in bulletin["by_day"].items():
            if row.get("registered") != cells[("figures", "registered")]:
                system.add([(1, total), (-1, bd(d, x, "registered"))], 1, HUGE, guard=total)
        # the exact block
        exact = bulletin.get("exact")
        if exact is None:
            system.family = "exact block null"
            system.add([(1, total)], 0, min_cell - 1)
        else:
            at = min(j for j, s in enumerate(sizes) if s >= exact["as_of_size"])
            value = exact["figures"]["registered"]
            system.family = "exact block"
            system.add([(1, c(at, ("figures", "registered")))], value, value)
            if at < d:
                system.family = "hold rule"
                system.add(
                    [(1, total), (-1, c(at, ("figures", "registered")))],
                    -(min_cell - 1),
                    min_cell - 1,
                )
        # the head's growth: what was logged since the last head
        start = sizes[d - 1] if d else 0
        totals = sum(1 for i in totals_at if start <= i < sizes[d])
        previous = bulletins[d - 1] if d else None
        new_tallies = 0
        for x, row in bulletin["corridor"].items():
            for point, value in row.items():
                old = previous["corridor"].get(x, {}) if previous else {}
                new_tallies += point not in old or old[point] != value
        system.family = "head growth"
        terms = [(1, total), (1, c(d, ("children", "registered")))]
        terms += [(1, bd(d, x, "decided")) for x in bulletin["by_day"]]
        if d:
            terms += [(-1, c(d - 1, ("figures", "registered")))]
            terms += [(-1, c(d - 1, ("children", "registered")))]
            terms += [(-1, bd(d - 1, x, "decided")) for x in previous["by_day"]]
        system.add(terms, -HUGE, sizes[d] - start - totals - new_tallies)
        if previous is None:
            continue
        before = _cells(previous)
        system.family = "registered never falls"
        for key in cells:
            if key[-1] == "registered":
                step = 1 if cells[key] != before[key] else 0
                system.add([(1, c(d, key)), (-1, c(d - 1, key))], step, HUGE)
        today = _sim_day(d)
        for x, row in bulletin["by_day"].items():
            for f in ("registered", "decided"):
                old = previous["by_day"][x].get(f)
                step = 1 if old != row.get(f) else 0
                system.family = "by_day never falls"
                system.add([(1, bd(d, x, f)), (-1, bd(d - 1, x, f))], step, HUGE)
                if f == "registered" and x < today and old == row.get(f):
                    system.family = "past by_day equal"
                    system.add([(1, bd(d, x, f)), (-1, bd(d - 1, x, f))], 0, 0)
        system.family = "corridor never falls"
        for x, row in previous["corridor"].items():
            for point in row:
                a = system.index[("cor", d, x, point)]
                b = system.index[("cor", d - 1, x, point)]
                system.add([(1, a), (-1, b)], 0, HUGE)


def truth_of(days, name):
    """(true value, published value) of a variable."""
    kind, d = name[0], name[1]
    bulletin, truth = days[d][0], days[d][3]
    if kind == "c":
        return _truth(truth).get(name[2], 0), _cells(bulletin)[name[2]]
    table = "by_day" if kind == "bd" else "corridor"
    return truth[table].get(name[2], {}).get(name[3], 0), bulletin[table][name[2]][name[3]]


# ---------------------------------------------------------------- the Bayesian attacker


def gibbs_guesses(days, system, *, sweeps=160, burn=50, seed=0):
    """Posterior histograms of every adult person cell and every simulated day's by_day
    registered cell, from a Gibbs sampler over the people: each person has a registration
    day (one of the bulletins' days), a station, sex, band and outcome (kept from day to
    day: the attacker's best case, true here); every published cell of every day is scored
    by the documented noise; the cumulative totals stay within the certain bounds."""
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

    def ll(published, x):
        k = (published, x)
        if k not in memo:
            memo[k] = math.log(max(_likelihood(published, x, alpha, min_cell), 1e-300))
        return memo[k]

    published = [dict(_cells(b)) for b in bulletins]
    for d, b in enumerate(bulletins):
        for r in range(d + 1):
            published[d][("bd", r)] = b["by_day"][_sim_day(r)]["registered"]
    counts = [dict.fromkeys(p, 0) for p in published]
    bounds = []
    for d in range(n_days):
        v = system.index[("c", d, ("figures", "registered"))]
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
        """Log-likelihood change of adding this person (its cells from day r on)."""
        cells = person_cells(attrs, r, which)
        total = 0.0
        for d in range(r, n_days):
            cnt, pub = counts[d], published[d]
            for cell in cells:
                x = cnt[cell]
                total += ll(pub[cell], x + 1) - ll(pub[cell], x)
        return total

    # how many people: the smallest total the last day allows that best fits its number
    lo, hi = bounds[-1]
    last = published[-1][("figures", "registered")]
    n_people = max(range(lo, min(hi, lo + 60) + 1), key=lambda n: ll(last, n))
    # registration days: cumulative counts within the bounds, as early as they allow
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
            # the registration day, within the certain bounds on the cumulative totals
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
    """Posterior of a row's five outcomes (registered their sum), uniform prior."""
    post: dict[tuple, float] = {}
    lik = {
        f: [_likelihood(published_row[f], x, alpha, min_cell) for x in range(5 * cap + 1)]
        for f in FIGS
    }
    for xs in itertools.product(range(cap + 1), repeat=5):
        w = lik["registered"][sum(xs)]
        for f, x in zip(OUTCOMES, xs, strict=True):
            w *= lik[f][x]
        post[xs] = w
    return post


def attack(days, *, label):
    """The certain attack, then the Bayesian one; returns the figures of the run."""
    started = time.monotonic()
    bulletins = [b for b, _, _, _ in days]
    method = bulletins[-1]["method"]
    assert method["version"] == "sulh-cellkey/3"
    min_cell, alpha = method["min_cell"], math.exp(-method["epsilon"])
    attributes, unique = leaf_classes(days[-1][1])
    system = _System()
    build(system, days)
    real = [truth_of(days, name)[0] for name in system.names]
    system.check_at(real)  # every bound and constraint holds at the truth
    system.solve()
    system.check_at(real)

    small = narrowed = recovered = zeros = zeros_pinned = 0
    pinned, small_names = [], []
    for name, v in system.index.items():
        value, _ = truth_of(days, name)
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
    singled_out = sum(1 for name in pinned if truth_of(days, name)[0] == 1)

    # the Bayesian best guess of each small cell (the attacker is told it is 1..4)
    hist = gibbs_guesses(days, system)
    children = {}
    for d, b in enumerate(bulletins):
        post = _row_posterior(b["children"], alpha, min_cell)
        children[d] = post
    hits = own_hits = confident = confident_right = 0
    truths = []
    for name in small_names:
        value, published = truth_of(days, name)
        truths.append(value)
        scores = {x: _likelihood(published, x, alpha, min_cell) for x in range(1, min_cell)}
        own = max(scores, key=scores.get)
        guess, share = own, 0.0
        kind, d = name[0], name[1]
        key = None
        if kind == "c" and name[2][0] in ("figures", *TABLES):
            key = name[2]
        elif kind == "bd" and name[3] == "registered":
            r = (dt.date.fromisoformat(name[2]) - FIRST_DAY).days if name[2][0] == "2" else -1
            key = ("bd", r) if 0 <= r <= d else None
        if key is not None and (d, key) in hist:
            h = hist[(d, key)]
            mass = sum(h.values())
            within = {x: h.get(x, 0) for x in range(1, min_cell)}
            if sum(within.values()):
                guess = max(within, key=within.get)
                share = within[guess] / mass
        elif kind == "c" and name[2][0] == "children":
            post = children[d]
            f = name[2][1]
            marg = {x: 0.0 for x in range(1, min_cell)}
            for xs, w in post.items():
                x = sum(xs) if f == "registered" else xs[OUTCOMES.index(f)]
                if x in marg:
                    marg[x] += w
            total = sum(post.values())
            guess = max(marg, key=marg.get)
            share = marg[guess] / total
        hits += guess == value
        own_hits += own == value
        if share >= 0.8:
            if guess != value and DEBUG:
                print("confident, wrong:", name, value, published, guess, share)
            confident += 1
            confident_right += guess == value
    n = max(small, 1)
    mode = max(set(truths), key=truths.count) if truths else 1
    figures = {
        "small": small,
        "narrowed": narrowed,
        "recovered": recovered,
        "singled_out": singled_out,
        "zeros": zeros,
        "zeros_pinned": zeros_pinned,
        "hit": hits / n,
        "own": own_hits / n,
        "blind": 1 / (min_cell - 1),
        "mode": truths.count(mode) / n,
        "confident": confident,
        "confident_right": confident_right,
    }
    print(
        f"{label}: variables {len(system.names)}, constraints {len(system.cons)}; small cells "
        f"{small}, narrowed {narrowed}, recovered with certainty {recovered}, singled out "
        f"{singled_out}; true zeros {zeros}, pinned at 0 {zeros_pinned}; best guess right "
        f"{hits} = {hits / n:.0%} (own cell alone {own_hits / n:.0%}, blind uniform "
        f"{1 / (min_cell - 1):.0%}, always {mode} {truths.count(mode) / n:.0%}); posterior "
        f">= 0.8 on {confident}, right {confident_right}; leaves with attributes "
        f"{attributes}, unique leaf classes {unique}; {time.monotonic() - started:.1f} s"
    )
    for name in pinned[:3]:
        print("pinned:", name, truth_of(days, name), "needs", system.needed(system.index[name], 5))
    assert attributes == 0
    assert unique == 0
    return figures


# Measured (14 runs, -p no:randomly --runxfail): 317 small cells each, 5-20 narrowed (the
# day-0 and held-day totals to 0..4 ranges), 0 recovered, 0 singled out, no true zero pinned;
# the Bayesian best guess right 40-49 % (own cell alone 29-36 %, blind 25 %, always 2: 36 %).
V2_ONLY = pytest.mark.skip(
    reason="models sulh-cellkey/2, where a cell publishes its value now; under v3 a cell "
    "publishes its state at its last anchor, which this system does not model (its interval "
    "per cell would be unsound): an independent attacker rewrites it for v3"
)


@V2_ONLY
def test_ten_days_of_everything_public_recover_no_small_cell(personas, programs, tmp_path, capsys):
    days = simulate(personas, tmp_path, capsys, opening=False)
    result = attack(days, label="ten days")
    assert result["singled_out"] == 0
    assert result["recovered"] == 0


# Measured (6 runs): 301 small cells each, 6-28 narrowed, 0 recovered, 0 singled out; the
# best guess right 41-46 % (own cell alone 29-36 %, blind 25 %, always 2: 39 %).
@V2_ONLY
def test_an_opening_day_of_one_adult_per_station_recovers_no_small_cell(
    personas, programs, tmp_path, capsys
):
    days = simulate(personas, tmp_path, capsys, opening=True)
    result = attack(days, label="opening day")
    assert result["singled_out"] == 0
    assert result["recovered"] == 0
