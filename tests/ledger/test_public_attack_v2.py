"""Red team (issue 17), further attacks on the public tier, rewritten for `sulh-cellkey/3`
from docs/disclosure.md and docs/transparency.md alone (the scenarios and the certain
system of tests/ledger/test_public_attack.py). The v2 attacks are re-run on v3 and judged
against a stated baseline; the last ones are new, about the anchors. A test marked
ATTACK-SUCCEEDS demonstrates a leak that is still open on the code as it is.

What the attacker takes from the docs (and checks at the truth): a cell that only gains
people (a row's `registered`, an outcome, a day's rows) anchors at every fifth newcomer,
so it shows the same number while floor(value / 5) stays and (but for a coincidence of
the draws) another one when it steps; in the simulation every case is decided on the day
it registers (the attacker's side knowledge in the onlooker attacks)."""

from __future__ import annotations

import math
import re

import pytest

from tests.ledger.test_public_attack import (
    FIGS,
    OUTCOMES,
    TABLES,
    _cells,
    _sim_day,
    _truth,
    check_anchor_model,
    simulate,
    solved,
)

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
BANDS = {"18-24", "25-34", "35-49", "50+", "unknown"}
FIGURE_OF = {
    "amnesty": "amnesty_granted",
    "departure": "departure",
    "referral": "referred",
    "denial": "denied",
    None: "pending",
}


# every scenario is run on the v2 attacker's fixed pattern and on drawn days (seeded); the
# further seeds are `slow`
def succeeds(reason):
    """xfail (not strict: whether the attack finds its case depends on the draws)."""
    return pytest.mark.xfail(strict=False, reason="ATTACK-SUCCEEDS: " + reason)


SEEDS = [None, 1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)]


def test_a_bulletins_rows_are_the_same_whoever_is_in_them(personas, programs, tmp_path, capsys):
    """docs v2: every station, both sexes, every adult band, every day of the window with
    `earlier`/`later`, all six figures and the children; never a number 0..4. The attacker
    looks for a row or a cell whose presence, or a number, differs from that."""
    days = simulate(personas, tmp_path, capsys, opening=True)
    from sulh.accounts.models import Station

    stations = set(Station.objects.values_list("code", flat=True))
    shapes, low = set(), 0
    for bulletin, _, _, truth in days:
        shape = tuple(
            (t, tuple(sorted(bulletin[t]))) for t in (*TABLES, "by_day", "figures", "children")
        )
        shapes.add(shape)
        assert set(bulletin["by_station"]) == stations
        assert set(bulletin["by_sex"]) == {"female", "male"}
        assert set(bulletin["by_age_band"]) == BANDS
        days_ = list(bulletin["by_day"])
        assert days_[0] == "earlier" and days_[-1] == "later"  # the deadline has passed
        for x in days_[1:-1]:
            assert "2016-07-27" <= x <= "2016-10-28"  # the window, in UTC
        for value in _cells(bulletin).values():
            low += value is not None and value < bulletin["method"]["min_cell"]
        for row in bulletin["by_day"].values():
            low += sum(v is not None and v < 5 for v in row.values())
        for row in bulletin["corridor"].values():
            low += sum(v is not None and v < 5 for v in row.values())
        # the rows some are in are a strict subset of the rows shown
        occupied = {k for k, row in truth["by_station"].items() if row.get("registered")}
        assert occupied < set(bulletin["by_station"])
    print("distinct shapes over ten days:", len(shapes), "numbers 0..4:", low)
    assert len(shapes) == 1
    assert low == 0


# Measured on v3 (1 run): 4 right, 6 wrong (precision 40 %, baseline 36 %); about a group
# of 1..4: none (baseline 12 %). Fails on v3.
def test_equal_numbers_in_nested_cells_reveal_no_small_group(personas, programs, tmp_path, capsys):
    """v2 attack, re-run: the attacker takes two nested cells showing the same number (a
    number, not `null`) to be the same people. v3 draws each place independently, so an
    equality should be a coincidence. Judged against the baseline: how often two nested
    cells are the same people at all (what the attacker knows without the numbers), for
    all pairs and for pairs whose larger cell holds 1..4 people."""
    days = simulate(personas, tmp_path, capsys, opening=False)
    right = wrong = small_right = small_wrong = 0
    pairs_all = same_all = pairs_small = same_small = 0
    for bulletin, _, _, truth in days:
        cells, real = _cells(bulletin), _truth(truth)
        pairs = []
        for key in cells:
            if key[0] in TABLES:
                pairs.append((key, ("figures", key[-1])))
            if key[-1] != "registered":
                pairs.append((key, (*key[:-1], "registered")))
        for inner, outer in pairs:
            same = real[inner] == real[outer]
            pairs_all += 1
            same_all += same
            if 1 <= real[outer] <= 4:
                pairs_small += 1
                same_small += same
            if cells[inner] is None or cells[inner] != cells[outer]:
                continue
            right += same
            wrong += not same
            small_right += same and 1 <= real[outer] <= 4
            small_wrong += not same and 1 <= real[outer] <= 4
    base, base_small = same_all / pairs_all, same_small / max(pairs_small, 1)
    precision = right / max(right + wrong, 1)
    precision_small = small_right / max(small_right + small_wrong, 1)
    print(
        f"equal nested numbers: same people {right}, not {wrong} (precision {precision:.0%}, "
        f"baseline {base:.0%}); about a group of 1..4: right {small_right}, wrong "
        f"{small_wrong} (precision {precision_small:.0%}, baseline {base_small:.0%})"
    )
    # fails on v3: equal numbers are no better than the base rate, and about small groups
    # they are rare coincidences (in v2: 20-31 right against 2-10 wrong, 1-7 small groups)
    # "no better than the base rate", judged with the sampling error of a few claims (5 right
    # of 5 at a 36 % base rate happens by chance): the attack succeeds only when its right
    # claims exceed the base rate's expectation by three standard deviations and one
    claims = right + wrong
    assert right <= claims * base + 3 * math.sqrt(claims * base * (1 - base)) + 1, precision
    assert small_right <= 2


# Measured on v3 (4 runs: fixed, seeds 1-3): called empty 3/5, 2/4, 3/3, 2/4 right
# (precision 50-100 %, empty rows 17-25 % of all); every row of 0..4 people (3-4 a run) never
# changed, so among them the call has exactly their base rate of being empty (50-100 %):
# it tells "fewer than 5 (or no step)", never 0 from 1..4. Fails on v3 as an attack on
# existence; what it learns, "small", is what docs/disclosure.md says an unchanged number
# says.
@pytest.mark.parametrize("seed", SEEDS)
def test_rows_that_never_change_do_not_tell_an_empty_row(
    personas, programs, tmp_path, capsys, seed
):
    """v2 attack, re-run: the attacker calls a row empty when its six numbers are the same
    on all ten days while the program grew. Under v3 a row of 1..4 people shows what an
    empty row shows, so the attack can only tell "small" (fewer than 5, or no step in ten
    days), not empty from 1..4. Judged: its precision against (a) the share of empty rows
    among all rows (the attacker's prior) and (b) the share of empty rows among rows of at
    most 4 people (what it would have to beat to tell 0 from 1..4)."""
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed)
    bulletins = [b for b, _, _, _ in days]
    assert len({b["exact"]["figures"]["registered"] for b in bulletins if b["exact"]}) > 1
    right = wrong = rows = empty_rows = small_rows = 0
    never_small = never_empty = 0
    for table in TABLES:
        for key in bulletins[-1][table]:
            size = days[-1][3][table].get(key, {}).get("registered", 0)
            empty = size == 0
            rows += 1
            empty_rows += empty
            small_rows += size <= 4
            numbers = {tuple(b[table][key].get(f) for f in FIGS) for b in bulletins}
            if len(numbers) != 1:
                assert size >= 5  # docs: a cell of 0..4 people keeps its empty draw
                continue
            right += empty
            wrong += not empty
            never_small += size <= 4
            never_empty += empty
    precision = right / max(right + wrong, 1)
    print(
        f"seed {seed}: rows called empty: right {right}, wrong {wrong} (precision "
        f"{precision:.0%}); empty rows {empty_rows} of {rows} ({empty_rows / rows:.0%}); of "
        f"the rows of 0..4 people ({small_rows}) every one never changed: "
        f"{never_small}; among them empty {never_empty}"
    )
    # the attack does not tell an empty row from one of 1..4 people: every row of 0..4
    # people never changes, so among them "never changed" has the base rate exactly
    assert never_small == small_rows


# Measured on v3 (2 runs): 1 and 2 one-row-per-table claims, 0 right (blind guess 2 %).
# Fails on v3 (v2: 3-8 claims, 1-3 right).
@pytest.mark.parametrize("seed", SEEDS)
def test_change_chains_do_not_tell_who_moved_today(personas, programs, tmp_path, capsys, seed):
    """v2 attack, re-run: where the program's figure changed and, in every table, exactly
    one row's number of that figure changed, the attacker takes the day's change to be of
    that station, sex and band. Under v3 a number steps only when 5 more people are in its
    cell, so the rows that step are those that crossed a multiple of 5, not those the day's
    people went to. Success: a right claim about a change of 1..4 people. Baseline: a blind
    guess of the station, sex and band of the day's change (1 / rows)."""
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed)
    claims = right = small = 0
    for d in range(1, len(days)):
        (b0, _, _, t0), (b1, _, _, t1) = days[d - 1], days[d]
        for f in FIGS:
            changed, moved = {}, {}
            for table in TABLES:
                changed[table] = {
                    k for k in b1[table] if b1[table][k].get(f) != b0[table][k].get(f)
                }
                moved[table] = {
                    k
                    for k in b1[table]
                    if t1[table].get(k, {}).get(f, 0) != t0[table].get(k, {}).get(f, 0)
                }
            if b1["figures"][f] == b0["figures"][f]:
                continue
            if all(len(changed[t]) == 1 for t in TABLES):
                claims += 1
                step = abs(t1["figures"][f] - t0["figures"][f])
                ok = all(changed[t] == moved[t] for t in TABLES)
                right += ok
                small += ok and 1 <= step <= 4
                print("claim: day", d, f, [changed[t] for t in TABLES], ok, "step", step)
    blind = 1 / (len(days[-1][0]["by_station"]) * 2 * len(BANDS))
    print(
        f"seed {seed}: one-row-per-table claims {claims}, right {right}, about 1..4 people "
        f"{small} (blind guess {blind:.1%})"
    )
    assert small == 0


# Measured on v3 (2 opening-day runs): 0 pinned; the totals are exact wherever the block
# moved, 0..4 on the opening day, a range of 4 on held days. Fails on v3.
@pytest.mark.parametrize("seed", [None, 5])
def test_the_exact_block_and_the_heads_pin_no_days_count(
    personas, programs, tmp_path, capsys, seed
):
    """v2 attack, re-modelled for v3: the whole certain system (the exact block, exact
    where it moved, within 4 where held, 0..4 when missing; the by_day sums; the stepped
    cells at 5 K + 0..4 and their steps; the head's growth). No small total (0..4) and no
    small day's registrations pinned."""
    days = simulate(personas, tmp_path, capsys, opening=True, seed=seed)
    system, real = solved(days)
    blocks = [b["exact"] for b, _, _, _ in days]
    moved = [b["figures"]["registered"] for i, b in enumerate(blocks) if b and b != blocks[i - 1]]
    assert all(b - a >= 5 for a, b in zip([0, *moved], moved, strict=False))
    pinned = small = 0
    for name, v in system.index.items():
        if name[0] != "T":
            continue
        key = name[2]
        if key != ("figures", "registered") and key[:1] + key[2:] != ("by_day", "registered"):
            continue
        if key[0] == "by_day" and key[1] not in {_sim_day(r) for r in range(name[1] + 1)}:
            continue  # a day of the window no one has reached: 0, and no question
        value = real[v]
        if not 0 <= value <= 4:
            continue
        small += 1
        inside, outside = system.candidates(v, 5, low=0)
        assert value in inside
        pinned += inside == [value] and not outside
    totals = [
        (
            system.lo[system.index[("T", d, ("figures", "registered"))]],
            system.hi[system.index[("T", d, ("figures", "registered"))]],
        )
        for d in range(len(days))
    ]
    print(f"seed {seed}: daily totals the attacker has:", totals, "small", small, "pinned", pinned)
    assert pinned == 0


def _held(days, d):
    """The exact block of day d is yesterday's (or missing both days)."""
    return days[d][0]["exact"] == days[d - 1][0]["exact"]


# Measured on v3 (2 runs, 2 and 3 held days): the program's `registered` never moved on a
# held day. Fails on v3 (v2: 8 runs of 8 had such a day); but see the next test.
@pytest.mark.parametrize("seed", SEEDS)
def test_a_held_block_does_not_say_that_anyone_registered(
    personas, programs, tmp_path, capsys, seed
):
    """v2 attack, re-run: on a held day the program's `registered` showed another number
    than yesterday. v3 draws it at the block's size, so it never moves on a held day."""
    days = simulate(personas, tmp_path, capsys, opening=True, seed=seed)
    held = moved = 0
    for d in range(1, len(days)):
        if _held(days, d):
            held += 1
            moved += days[d][0]["figures"]["registered"] != days[d - 1][0]["figures"]["registered"]
    print(f"seed {seed}: held days {held}, program registered moved on them {moved}")
    assert moved == 0


# ------------------------------------------------------------ new attacks on the anchors


# Measured (4 runs: fixed, seeds 1-3): held days 2, 3, 1, 2; known with certainty to have
# had 1..4 registrations since yesterday's bulletin: 1, 2, 0, 1 (every one right), with the
# station, sex or band of one of them (alp1, alp3, male, 35-49).
@succeeds(
    "on a day the exact block is held (0..4 registered since it) a "
    "row's `registered` that steps (a station, a sex, a band) says that its cell gained "
    "people since yesterday's bulletin: certainly 1..4 people registered since yesterday, "
    "at least one of them at that station, of that sex, of that band (docs: a held block "
    "'says by itself only that some combination lies between -4 and 4')",
)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_held_block_and_a_stepping_row_do_not_say_that_anyone_registered(
    personas, programs, tmp_path, capsys, seed
):
    """New: the anchors make a changed number certain evidence that its (stepped) cell
    gained people since yesterday's bulletin. On a held day that turns "0..4 registered"
    into "1..4 registered, one at station S, one a woman, ...". Baseline: without the
    steps, a held day says 0..4 (and the hold rule says nothing more)."""
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed)
    check_anchor_model(days)
    held = learned = wrong = 0
    for d in range(1, len(days)):
        if not _held(days, d) or days[d][0]["exact"] is None:
            continue
        held += 1
        (b0, _, _, t0), (b1, _, _, t1) = days[d - 1], days[d]
        rows = [
            (t, k)
            for t in TABLES
            for k in b1[t]
            if b1[t][k]["registered"] != b0[t][k]["registered"]
        ]
        if not rows:
            continue
        grew = t1["figures"]["registered"] - t0["figures"]["registered"]
        learned += 1
        ok = 1 <= grew <= 4 and all(
            t1[t].get(k, {}).get("registered", 0) > t0[t].get(k, {}).get("registered", 0)
            for t, k in rows
        )
        wrong += not ok
        print(f"seed {seed}: held day {d}: rows that stepped {rows}; truly {grew} registered")
    print(f"seed {seed}: held days {held}, of them known to have 1..4 registrations {learned}")
    assert wrong == 0  # every such inference is right: it is certain
    assert learned == 0


# Measured (4 runs: fixed, seeds 1-3): one-person claims 0 in every run; "one of the 2..4
# I saw" claims 0, 1, 0, 1, every one right (baseline for k = 2 at a base rate of 25 %:
# 1 - 0.75^2 = 44 %). Twenty days (seed 6): one person singled out (the only newcomer at
# alp2 on day 18 stepped its `departure`: departed, base rate 27 %) and 6 "one of them"
# claims, all right. Rare in ten days (a station's outcome cell must step on a day only
# 1..4 people came), certain when it happens. (In this simulation referrals and denials
# never take effect: base rate 0 %.)
@succeeds(
    "an onlooker who saw the only person to walk into a station "
    "today (cases decided the same day) and sees that station's `referred` (say) step "
    "knows that person was referred: certain, about one person, in about one case in five "
    "(the cell was at 4 mod 5); the base rate of an outcome is about one in five",
)
@pytest.mark.parametrize(
    ("seed", "length"),
    [
        (None, 10),
        (1, 10),
        pytest.param(2, 10, marks=pytest.mark.slow),
        pytest.param(3, 10, marks=pytest.mark.slow),
        pytest.param(6, 20, marks=pytest.mark.slow),
    ],
)
def test_an_onlooker_at_a_quiet_station_learns_no_ones_outcome(
    personas, programs, tmp_path, capsys, seed, length
):
    """New: the attacker watches a station's door (sees who registers there, and when) and
    knows that decisions come the same day. On a day k = 1..4 people registered there, an
    outcome number of that station that stepped says that at least one of those k got that
    outcome (the cell gained people since yesterday, and only they moved there). Counted:
    claims about one person (k = 1), right or wrong, against the base rate of the outcome;
    and claims about a group of 2..4 ("one of them")."""
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed, days=length)
    people = days.people
    claims = right = group_claims = group_right = 0
    outcomes = [FIGURE_OF[p["outcome"]] for p in people]
    base = {f: outcomes.count(f) / len(outcomes) for f in OUTCOMES}
    for d in range(1, len(days)):
        b0, b1 = days[d - 1][0], days[d][0]
        for station in b1["by_station"]:
            seen = [p for p in people if p["day"] == d and p["station"] == station]
            if not 1 <= len(seen) <= 4:
                continue
            for f in OUTCOMES[:4]:  # pending loses people too: not stepped
                if b1["by_station"][station].get(f) == b0["by_station"][station].get(f):
                    continue
                hit = any(FIGURE_OF[p["outcome"]] == f for p in seen)
                if len(seen) == 1:
                    claims += 1
                    right += hit
                    print(f"seed {seed}: day {d} {station}: the one newcomer is {f}: {hit}")
                else:
                    group_claims += 1
                    group_right += hit
    print(
        f"seed {seed}: one-person claims {claims}, right {right}; one-of-2..4 claims "
        f"{group_claims}, right {group_right}; base rates "
        + ", ".join(f"{f} {v:.0%}" for f, v in base.items())
    )
    assert right == claims and group_right == group_claims  # certain
    assert claims + group_claims == 0


def test_the_html_shows_nothing_the_json_does_not(personas, programs, tmp_path, capsys):
    """Every bar's label is the published number (or '< 5'), a '< 5' bar has no length, and
    within a chart the lengths are proportional to the published numbers: the drawing
    carries no true value."""
    days = simulate(personas, tmp_path, capsys, opening=False, days=3)
    html = (tmp_path / "day2" / f"bulletin-{PROGRAM}.html").read_text()
    bulletin = days[-1][0]
    published = {str(v) for v in _cells(bulletin).values() if v is not None}
    for row in (*bulletin["by_day"].values(), *bulletin["corridor"].values()):
        published |= {str(v) for v in row.values() if v is not None}
    published |= {str(v) for v in ((bulletin.get("exact") or {}).get("figures") or {}).values()}
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert charts
    leaks = 0
    for chart in charts:
        bars = []
        for title, width in re.findall(
            r"<title>[^<]*: ([^<]*)</title>.*?<rect [^>]*width=\"([0-9.]+)\"", chart
        ):
            if title == "&lt; 5":
                leaks += float(width) != 0.0
            else:
                leaks += title not in published
                bars.append((int(title), float(width)))
        if bars:
            top = max(bars)
            leaks += sum(1 for v, w in bars if abs(w - top[1] * v / top[0]) > 0.11)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    numbers = [c for c in cells if c.isdigit()]
    leaks += sum(1 for c in numbers if c not in published)
    print("charts", len(charts), "table numbers", len(numbers), "leaks", leaks)
    assert leaks == 0
    assert OUTCOMES and _sim_day(0) == "2016-08-10"


# Measured (2 runs): 4 and 5 days of 1..4 registrations, all narrowed, 0 pinned. Fails.
@pytest.mark.parametrize("seed", SEEDS)
def test_todays_by_day_row_and_the_block_pin_no_small_day(
    personas, programs, tmp_path, capsys, seed
):
    """New: a day's by_day `registered` is stepped and frozen once the day is past, so it
    shows 5 floor(n / 5) + noise for good; where the exact block moved on two consecutive
    days the day's count n is exact anyway (at least 5); where it was held, the attacker
    knows the held days' sum and each day's step. Probed with the certain system: a day of
    1..4 registrations pinned. Baseline: certainty (anything less is a guess)."""
    days = simulate(personas, tmp_path, capsys, opening=False, seed=seed)
    system, real = solved(days)
    small = pinned = narrowed = 0
    last = len(days) - 1
    for r in range(len(days)):
        v = system.index[("T", last, ("by_day", _sim_day(r), "registered"))]
        if not 1 <= real[v] <= 4:
            continue
        small += 1
        inside, outside = system.candidates(v, 5, low=0)
        assert real[v] in inside
        narrowed += len(inside) < 5 or outside
        pinned += inside == [real[v]] and not outside
    print(f"seed {seed}: small days {small}, narrowed {narrowed}, pinned {pinned}")
    assert pinned == 0
