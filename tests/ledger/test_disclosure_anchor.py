"""The anchor rule of `sulh-cellkey/4` (sulh/ledger/disclosure.py): a cell publishes its
state as of its last anchor, and is ready to anchor anew only once contributors weighing
at least min_cell have entered or left it since, so that a change of a published number
always covers at least min_cell people; a ready cell anchors at the end of a day drawn
from the next ``delay_days`` (keyed), so the day it changes does not tell the day it was
ready; and the draws are keyed by the cell's place, so the same people in two cells get
two independent numbers."""

from __future__ import annotations

import dataclasses
import random

from sulh.ledger import disclosure
from sulh.ledger.disclosure import FIGURES, Method, Rows, figures_exact
from tests.ledger.test_disclosure import (
    METHOD,
    PROGRAM,
    ROWS,
    SECRET,
    Program,
    cells,
    sections,
    table_cells,
)


def _empty() -> dict:
    return table_cells(sections([]))


def test_a_cell_of_fewer_than_the_minimum_publishes_what_an_empty_cell_does():
    """Four women at one station, each decided: nothing about them shows anywhere."""
    program = Program()
    for _ in range(4):
        link = program.register(0, station="stn-3", sex="female", band="25-34")
        program.event(link, "decision_taken", 0, outcome="referral")
    assert figures_exact(program.records, program=PROGRAM)["by_station"]["stn-3"]["referred"] == 4
    assert table_cells(sections(program.records)) == _empty()


def _through(day: str) -> Rows:
    return dataclasses.replace(ROWS, through=day)


def test_the_fifth_person_makes_the_cell_ready_and_it_changes_on_its_drawn_day():
    """One man a day at stn-2: the cell is ready on day 5 (the fifth) and changes at the
    end of day 5 + its keyed delay, showing its state then (the later ones too)."""
    program = Program()
    path = ("by_station", "stn-2", "registered")
    empty = _draw(path, 0, 0)
    ready = program.day(5)
    due = 5 + disclosure.step_delay(SECRET, path, ready, METHOD.delay_days)
    for n in range(1, 15):
        program.register(n, station="stn-2", sex="male", band="35-49")
        # published the next morning: the tables run through the end of day n
        shown = sections(program.records, rows=_through(program.day(n)))["by_station"]["stn-2"]
        if n < due:
            assert shown["registered"] == empty, n
        elif n == due:
            assert shown["registered"] == _draw(path, n, _keys(program, n)), n
        elif n - due < 5:  # moved by fewer than 5 since the anchor
            assert shown["registered"] == _draw(path, due, _keys(program, due)), n


def test_the_day_a_cell_changes_is_drawn_over_the_week_after_it_was_ready():
    """Over many cells, the delay takes each of 0..delay_days-1 about equally often, so
    the day a number changes leaves the day it was ready open over a week."""
    delays = [
        disclosure.step_delay(SECRET, ("by_sex", "female", f), f"2016-08-{d:02d}", 7)
        for f in FIGURES
        for d in range(1, 29)
    ] + [
        disclosure.step_delay(SECRET, ("by_station", f"stn-{i}", "registered"), "2016-08-01", 7)
        for i in range(200)
    ]
    counts = [delays.count(d) for d in range(7)]
    assert min(counts) > len(delays) / 7 * 0.6, counts
    assert max(delays) == 6


def test_someone_who_came_and_went_counts_for_nothing():
    """Registered and closed as a duplicate before the cell anchored: the cell never moved."""
    program = Program()
    for _ in range(3):
        program.register(0, station="stn-1", sex="male", band="18-24")
    ghost = program.register(0, station="stn-1", sex="male", band="18-24")
    program.event(ghost, "closed_as_duplicate", 0)
    program.register(0, station="stn-1", sex="male", band="18-24")  # four in the cell now
    assert sections(program.records)["by_station"]["stn-1"] == _empty_row("stn-1")


def _empty_row(station: str) -> dict:
    return sections([])["by_station"][station]


def test_an_outcome_cell_moves_only_once_five_changed_outcome():
    """Thirty registered: the station's `referred` stays as it was until the fifth referral
    (its registered and pending moved long before)."""
    program = Program()
    links = [program.register(0, station="stn-4", sex="female", band="25-34") for _ in range(30)]
    start = sections(program.records)["by_sex"]["female"]["referred"]
    seen = []
    for n, link in enumerate(links[:7]):
        # five referrals on day 1, two more weeks later: those two weigh 2 since the anchor
        program.event(link, "decision_taken", 1 if n < 5 else 20, outcome="referral")
        seen.append(sections(program.records)["by_sex"]["female"]["referred"])
    assert seen[:4] == [start] * 4
    path = ("by_sex", "female", "referred")
    assert seen[4:] == [_draw(path, 5, _keys(program, 5))] * 3


def test_a_corridor_tally_weighs_its_people():
    program = Program()
    program.tally(0, "p-north", 3)
    small = sections(program.records)["corridor"]
    program.tally(0, "p-north", 4)  # seven people crossed in two tallies
    larger = sections(program.records)["corridor"]
    day, path = program.day(0), ("corridor", program.day(0), "p-north")
    # a tally of 3 alone moves nothing: the cell is as the empty cell of its place
    assert small[day]["p-north"] == _draw(path, 0, 0)
    # seven people in two tallies: the cell anchors on the second, at both tallies' keys
    keys = disclosure.tally_key(SECRET, 0) + disclosure.tally_key(SECRET, 1)
    assert larger[day]["p-north"] == _draw(path, 7, keys % 2**64)


def _draw(path, value, key):
    return disclosure.perturb(secret=SECRET, path=path, cell_key=key, value=value, method=METHOD)


def test_the_exact_figures_move_with_the_exact_block():
    """The perturbed program `registered` is drawn at the block's size: a held block and a
    changed `registered` would tell that the total grew by 1 to 4."""
    program = Program()
    for _ in range(20):
        program.register(0, band="25-34")
    first = sections(program.records)
    for _ in range(3):
        program.register(1, band="25-34")
    second = sections(program.records, previous=first["exact"])
    assert second["exact"] == first["exact"]
    assert second["figures"]["registered"] == first["figures"]["registered"]
    for _ in range(3):
        program.register(2, band="25-34")
    third = sections(program.records, previous=second["exact"])
    assert third["exact"]["figures"]["registered"] == 26
    assert third["figures"]["registered"] == _draw(
        ("figures", "registered"), 26, _keys(program, 26)
    )


def _keys(program: Program, first: int) -> int:
    links = [r["link"] for r in program.records if r and r["event"] == "registered"][:first]
    return sum(disclosure.case_key(SECRET, link) for link in links) % 2**64


def test_the_same_people_in_two_places_get_two_independent_draws():
    """A station of exactly the women: in version 2 both showed one number (same people,
    same draw), which told an attacker they were the same people. Over 300 programs the two
    numbers agree about as often as two independent draws do."""
    agree = 0
    for seed in range(300):
        program = Program(seed)
        for _ in range(20):
            program.register(0, station="stn-1", sex="female", band="25-34")
        for _ in range(20):
            program.register(0, station="stn-2", sex="male", band="18-24")
        shown = sections(program.records, secret=b"program %d" % seed)
        agree += (
            shown["by_station"]["stn-1"]["registered"] == shown["by_sex"]["female"]["registered"]
        )
    # two independent draws from value 20 agree with probability sum P(Z=z)^2, about 10 %
    assert 10 < agree < 60


def test_the_state_now_is_the_exact_count_whatever_the_order_of_events():
    """The one pass that anchors the cells counts as ``figures_exact`` does."""
    rng = random.Random(4)
    for seed in range(12):
        program = Program(seed, stations=6)
        for day in range(5):
            program.random_day(day, 30)
        records = list(program.records)
        if seed % 2:
            rng.shuffle(records)
        state = disclosure._published_state(records, PROGRAM, SECRET, ROWS, METHOD)
        exact = figures_exact(records, program=PROGRAM, rows=ROWS)
        now = {path: cell.value for path, cell in state.cells.items() if cell.value}
        expected = {
            tuple(name.split(".")): value
            for name, value in cells(exact).items()
            if value and (not name.startswith("by_station.") or name.endswith(".registered"))
        }
        assert now == expected, seed


def test_the_monitor_recounts_the_anchors_from_the_records():
    program = Program(seed=21, stations=8)
    previous = None
    for day in range(6):
        program.random_day(day, 60 if day % 2 else 3)
        published = sections(program.records, previous=previous)
        assert (
            disclosure.check_sections(
                program.records,
                program=PROGRAM,
                method=METHOD,
                secret=SECRET,
                published=published,
                previous_exact=previous,
            )
            == []
        )
        previous = published["exact"]


def test_a_bigger_minimum_holds_cells_longer():
    program = Program()
    for _ in range(8):
        program.register(0, station="stn-5", sex="male", band="50+")
    method = Method(min_cell=10)
    rows = Rows(station=("stn-5",), sex=("female", "male"), age_band=("50+",), day=ROWS.day)
    held = sections(program.records, method=method, rows=rows)
    nobody = sections([], method=method, rows=rows)
    assert table_cells(held) == table_cells(nobody)
