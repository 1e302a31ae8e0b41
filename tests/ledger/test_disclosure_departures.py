"""The departures in the published bulletin (issue 19, item 6): per program and per convoy,
people departed by category, arrived, removed, returned and unaccounted, counted by the
rules of ``sulh.departures.records``, published under the same disclosure control as every
other figure, and recounted by the monitor."""

from __future__ import annotations

import random
from typing import Any

from sulh.departures.records import departure_figures
from sulh.ledger.disclosure import DEPARTURE_FIGURES, figures_exact
from sulh.ledger.render import bulletin_html
from tests.ledger.test_disclosure import METHOD, PROGRAM, ROWS, Program, check, sections


def _convoy(program: Program, convoy: int, day: int, rng: random.Random) -> dict[str, int]:
    """A convoy of a few vehicles that departs, loses some on the way and arrives."""
    truth = dict.fromkeys(("boarded", "arrived", "removed", "returned"), 0)
    for vehicle in range(1, rng.randrange(2, 5)):
        boarded = rng.randrange(10, 40)
        no_show = rng.randrange(0, 4)
        children = rng.randrange(0, boarded // 3)
        program.records.append(
            {
                "event": "vehicle_departed",
                "program": PROGRAM,
                "day": program.day(day),
                "convoy": convoy,
                "vehicle": vehicle,
                "manifested": boarded + no_show,
                "boarded": boarded,
                "no_show": no_show,
                "manifest": "ab" * 32,
                "fighters": boarded - children - 2,
                "family_members": 2,
                "children": children,
                "wounded": rng.randrange(0, 3),
            }
        )
        truth["boarded"] += boarded
        removed = rng.choice([0, 0, 3, 12])
        if removed:
            program.records.append(
                {
                    "event": "convoy_incident",
                    "program": PROGRAM,
                    "day": program.day(day),
                    "convoy": convoy,
                    "kind": "removed",
                    "vehicle": vehicle,
                    "count": removed,
                }
            )
            truth["removed"] += removed
        missing = rng.choice([0, 1, 2])
        for _ in range(boarded - removed - missing):
            program.records.append(
                {
                    "event": "traveller_arrived",
                    "program": PROGRAM,
                    "day": program.day(day + 1),
                    "convoy": convoy,
                    "vehicle": vehicle,
                    "count": 1,
                }
            )
            truth["arrived"] += 1
    program.records.append(
        {"event": "convoy_departed", "program": PROGRAM, "day": program.day(day),
         "convoy": convoy, "orders": truth["boarded"] // 3, "vehicles": vehicle}
    )  # fmt: skip
    program.records.append(
        {"event": "convoy_incident", "program": PROGRAM, "day": program.day(day + 1),
         "convoy": convoy, "kind": "stopped"}
    )  # fmt: skip
    return truth


def _program(seed: int = 3) -> Program:
    rng = random.Random(seed)
    program = Program(seed)
    for day in range(6):
        program.random_day(day, 20)
        if day in (1, 3, 4):
            _convoy(program, 10 + day, day, rng)
    return program


def test_the_exact_departures_are_the_departure_records_figures():
    program = _program()
    exact = figures_exact(program.records, program=PROGRAM, rows=ROWS)["departures"]
    counted = departure_figures(program.records, program=PROGRAM)
    assert counted is not None
    for name in ("departed", "no_show", "arrived", "removed", "returned", "unaccounted"):
        assert exact["all"][name] == counted[name], name
    assert list(exact) == ["all", "convoy-11", "convoy-13", "convoy-14"]
    for name in DEPARTURE_FIGURES:
        assert exact["all"][name] == sum(exact[row][name] for row in list(exact)[1:]), name
    assert exact["all"]["unaccounted"] > 0  # the generator leaves some unaccounted


def test_the_published_departures_are_perturbed_and_show_no_small_number():
    program = _program()
    shown = sections(program.records)["departures"]
    exact = figures_exact(program.records, program=PROGRAM, rows=ROWS)["departures"]
    assert shown.keys() == exact.keys()
    values = [v for row in shown.values() for v in row.values()]
    assert all(v is None or v >= METHOD.min_cell for v in values)
    # most cells of ten or more people carry noise
    big = [(r, f) for r in exact for f in exact[r] if exact[r][f] >= 10]
    assert sum(shown[r][f] != exact[r][f] for r, f in big) > 0.5 * len(big)


def test_a_program_without_departures_publishes_an_empty_section():
    program = Program(5)
    program.random_day(0, 30)
    assert sections(program.records)["departures"] == {}


def test_the_monitor_recounts_the_departures_and_names_a_changed_cell():
    program = _program()
    published: dict[str, Any] = sections(program.records)
    assert check(program.records, published) == []
    row = published["departures"]["all"]
    true = row["departed"]
    row["departed"] = (true or 0) + 3
    assert check(program.records, published) == [
        f"departures.all.departed: published {row['departed']}, the records give "
        f"{'< 5' if true is None else true}"
    ]


def test_a_removed_arrival_scan_moves_the_exact_unaccounted():
    program = _program()
    before = figures_exact(program.records, program=PROGRAM)["departures"]["all"]
    scan = next(i for i, r in enumerate(program.records) if r and r["event"] == "traveller_arrived")
    records = list(program.records)
    records[scan] = None
    after = figures_exact(records, program=PROGRAM)["departures"]["all"]
    assert after["unaccounted"] == before["unaccounted"] + 1
    assert after["arrived"] == before["arrived"] - 1


def test_the_page_shows_the_departures_table():
    program = _program()
    bulletin = {
        **sections(program.records),
        "format": "sulh-bulletin/2",
        "program": PROGRAM,
        "day": "2016-08-12",
        "tree_head": {"size": len(program.records), "root_hash": "00" * 32},
    }
    html = bulletin_html(bulletin, title_en="Aleppo", title_ar="حلب")
    assert "Departures" in html and "المغادرات" in html
    assert "Unaccounted" in html and "convoy-13" in html
