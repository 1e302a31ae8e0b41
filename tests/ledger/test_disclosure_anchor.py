"""The anchor rule of `sulh-cellkey/3` (sulh/ledger/disclosure.py): a cell publishes its
state as of its last anchor, and anchors anew only once contributors weighing at least
min_cell have entered or left it since, so that a change of a published number always
covers at least min_cell people; and the draws are keyed by the cell's place, so the same
people in two cells get two independent numbers."""

from __future__ import annotations

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


def test_the_fifth_person_moves_the_cell_and_not_before():
    program = Program()
    before = sections(program.records)
    for n in range(1, 8):
        program.register(n, station="stn-2", sex="male", band="35-49")
        shown = sections(program.records)
        if n < 5:
            assert shown["by_station"]["stn-2"] == before["by_station"]["stn-2"], n
        elif n == 5:
            fifth = shown["by_station"]["stn-2"]["registered"]
            changed = {
                f
                for f in FIGURES
                if shown["by_station"]["stn-2"][f] != before["by_station"]["stn-2"][f]
            }
            assert changed <= {"registered", "pending"}
        else:  # 6 and 7 moved it by 1 and 2 since its anchor at 5
            assert shown["by_station"]["stn-2"]["registered"] == fifth


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
    start = sections(program.records)["by_station"]["stn-4"]["referred"]
    seen = []
    for link in links[:7]:
        program.event(link, "decision_taken", 1, outcome="referral")
        seen.append(sections(program.records)["by_station"]["stn-4"]["referred"])
    assert seen[:4] == [start] * 4
    assert len(set(seen[4:])) == 1  # anchored at the fifth, held at the sixth and seventh


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
        state = disclosure._published_state(records, PROGRAM, SECRET, ROWS, 5)
        exact = figures_exact(records, program=PROGRAM, rows=ROWS)
        now = {path: cell.value for path, cell in state.cells.items() if cell.value}
        expected = {tuple(name.split(".")): value for name, value in cells(exact).items() if value}
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
