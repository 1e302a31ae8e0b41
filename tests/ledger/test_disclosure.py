"""The figures and the disclosure method (sulh/ledger/disclosure.py): counting as the log's
rules say, cell-key perturbation that is consistent across tables and days, no small number
ever shown, the exact block's hold rule, and the monitor's check."""

from __future__ import annotations

import datetime as dt
import hmac
import math
import random
from fractions import Fraction
from typing import Any

import pytest

from sulh.ledger import disclosure
from sulh.ledger.disclosure import (
    EARLIER,
    FIGURES,
    LATER,
    Method,
    Rows,
    bulletin_sections,
    case_key,
    check_sections,
    exact_block,
    figures_exact,
    noise,
    perturb,
)
from sulh.registry.models import Sex
from sulh.registry.services import AGE_BANDS

PROGRAM = "aleppo-2016-amnesty"
OTHER = "homs-2014-evacuation"
SECRET = b"test secret for the program, not a real one"
METHOD = Method()
# The rows a publisher declares: ten stations, both sexes, the adult bands, a window of days.
ROWS = Rows(
    station=tuple(f"stn-{i}" for i in range(10)),
    sex=("female", "male"),
    age_band=("18-24", "25-34", "35-49", "50+", "unknown"),
    day=(EARLIER, *(f"2016-08-{d:02d}" for d in range(1, 15)), LATER),
    # published weeks after the last record: every cell ready to change has changed
    through="2016-09-30",
)
OUTCOMES = ["amnesty", "amnesty", "departure", "referral", "denial"]


class Program:
    """A program's opened log, built day by day; ``records`` is aligned to the log."""

    def __init__(self, seed: int = 1, *, stations: int = 4) -> None:
        self.rng = random.Random(seed)
        self.stations = [f"stn-{i}" for i in range(stations)]
        self.records: list[dict[str, Any] | None] = []
        self.cases = 0
        self.start = dt.date(2016, 8, 1)

    def register(self, day: int, *, station: str = "", sex: str = "", band: str = "") -> str:
        self.cases += 1
        link = f"link-{self.cases:06d}"
        self.records.append(
            {
                "event": "registered",
                "program": PROGRAM,
                "station": station or self.rng.choice(self.stations),
                "day": self.day(day),
                "link": link,
                "sex": sex or self.rng.choice(["male", "male", "female", ""]),
                "age_band": band
                or self.rng.choice(["18-24", "25-34", "35-49", "unknown", "child"]),
            }
        )
        return link

    def event(self, link: str, event: str, day: int, **extra: Any) -> None:
        record = {"event": event, "program": PROGRAM, "station": "stn-0", "day": self.day(day)}
        self.records.append(record | {"link": link} | extra)

    def tally(self, day: int, point: str, count: int) -> None:
        self.records.append(
            {
                "event": "corridor_count",
                "program": PROGRAM,
                "station": point,
                "day": self.day(day),
                "count": count,
            }
        )

    def day(self, day: int) -> str:
        return (self.start + dt.timedelta(days=day)).isoformat()

    def random_day(self, day: int, people: int) -> None:
        """A day of registrations, decisions, appeals, duplicates, tallies and noise leaves."""
        for _ in range(people):
            link = self.register(day)
            roll = self.rng.random()
            if roll < 0.05:
                self.event(link, "closed_as_duplicate", day)
            elif roll < 0.75:
                self.event(link, "decision_taken", day, outcome=self.rng.choice(OUTCOMES))
                if self.rng.random() < 0.2:
                    self.event(link, self.rng.choice(["appealed", "eligibility_revoked"]), day)
                elif self.rng.random() < 0.4:
                    self.event(link, "card_issued", day)
            if self.rng.random() < 0.1:
                self.records.append(self.rng.choice([None, {"event": "padding"}]))
            if self.rng.random() < 0.05:
                self.records.append(
                    {
                        "event": "registered",
                        "program": OTHER,
                        "station": "x",
                        "day": self.day(day),
                        "link": link,
                        "sex": "male",
                        "age_band": "18-24",
                    }
                )
        if self.rng.random() < 0.7:
            self.tally(day, self.rng.choice(["p-north", "p-south"]), self.rng.randrange(1, 300))


def sections(records, *, previous=None, method=METHOD, secret=SECRET, rows=ROWS):
    return bulletin_sections(
        records, program=PROGRAM, method=method, secret=secret, previous_exact=previous, rows=rows
    )


def check(records, published, *, method=METHOD, **extra):
    return check_sections(
        records, program=PROGRAM, method=method, secret=SECRET, published=published, **extra
    )


def cells(tables: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Every published cell of the tables, by its dotted name."""
    found: dict[str, Any] = {}
    for name, value in tables.items():
        if isinstance(value, dict):
            found |= cells(value, f"{where}{name}.")
        else:
            found[f"{where}{name}"] = value
    return found


def table_cells(published: dict[str, Any]) -> dict[str, Any]:
    return cells({name: published[name] for name in disclosure.SECTIONS})


@pytest.fixture
def program() -> Program:
    program = Program(seed=3)
    for day in range(6):
        program.random_day(day, 40)
    return program


# -- counting ---------------------------------------------------------------------------


def test_it_counts_each_case_once_under_its_standing_decision():
    program = Program()
    amnestied, appealed, revoked, waiting = (program.register(0, band="25-34") for _ in range(4))
    program.event(amnestied, "decision_taken", 1, outcome="denial")
    program.event(amnestied, "decision_taken", 2, outcome="amnesty")
    program.event(appealed, "decision_taken", 1, outcome="denial")
    program.event(appealed, "appealed", 2)
    program.event(revoked, "decision_taken", 1, outcome="departure")
    program.event(revoked, "eligibility_revoked", 2)
    figures = figures_exact(program.records, program=PROGRAM)["figures"]
    assert figures == {
        "registered": 4,
        "amnesty_granted": 1,
        "departure": 0,
        "referred": 0,
        "denied": 0,
        "pending": 3,
    }
    assert waiting


def test_it_counts_children_apart_and_in_no_other_figure():
    program = Program()
    child = program.register(0, station="stn-1", sex="female", band="child")
    program.event(child, "decision_taken", 1, outcome="referral")
    adult = program.register(0, station="stn-2", sex="male", band="25-34")
    program.event(adult, "decision_taken", 1, outcome="amnesty")
    exact = figures_exact(program.records, program=PROGRAM)
    assert exact["children"] == {
        "registered": 1,
        "amnesty_granted": 0,
        "departure": 0,
        "referred": 1,
        "denied": 0,
        "pending": 0,
    }
    assert exact["figures"]["registered"] == 1
    assert exact["figures"]["referred"] == 0
    assert set(exact["by_station"]) == {"stn-2"}
    assert set(exact["by_sex"]) == {"male"}
    assert "child" not in exact["by_age_band"]
    assert exact["by_day"] == {
        program.day(0): {"registered": 1, "decided": 0},
        program.day(1): {"registered": 0, "decided": 1},
    }


def test_it_counts_a_case_closed_as_a_duplicate_nowhere():
    program = Program()
    survivor = program.register(0, station="stn-1", band="25-34")
    duplicate = program.register(0, station="stn-2", band="25-34")
    program.event(duplicate, "decision_taken", 1, outcome="referral")
    program.event(duplicate, "closed_as_duplicate", 2)
    exact = figures_exact(program.records, program=PROGRAM)
    assert exact["figures"]["registered"] == 1
    assert exact["figures"]["referred"] == 0
    assert set(exact["by_station"]) == {"stn-1"}
    assert exact["by_day"][program.day(0)]["registered"] == 1
    assert program.day(1) not in exact["by_day"]
    assert survivor


def test_it_ignores_public_leaves_padding_and_other_programs(program):
    before = figures_exact(program.records, program=PROGRAM)
    noisy = [
        None,
        {"event": "padding"},
        *program.records,
        {
            "event": "registered",
            "program": OTHER,
            "station": "x",
            "day": "2016-08-01",
            "link": "z",
            "sex": "male",
            "age_band": "18-24",
        },
    ]
    assert figures_exact(noisy, program=PROGRAM) == before


def test_it_sums_corridor_tallies_per_day_and_point():
    program = Program()
    program.tally(0, "p-north", 120)
    program.tally(0, "p-north", 35)
    program.tally(0, "p-south", 3)
    assert figures_exact(program.records, program=PROGRAM)["corridor"] == {
        program.day(0): {"p-north": 155, "p-south": 3}
    }


# -- the noise --------------------------------------------------------------------------


def _reference_noise(
    secret: bytes, path: tuple[str, ...], cell_key: int, value: int, method: Method
) -> int:
    """docs/disclosure.md, step by step, in exact rational arithmetic."""
    message = b"noise:" + "/".join(path).encode() + b"\x00"
    message += cell_key.to_bytes(8, "big") + value.to_bytes(8, "big")
    digest = hmac.digest(secret, message, "sha256")
    alpha = Fraction(int(method.as_dict()["alpha_fixed128"], 16), 2**128)

    def geometric(u: int) -> int:
        k = 0
        while u < math.floor(2**128 * alpha ** (k + 1)):
            k += 1
        return k

    return geometric(int.from_bytes(digest[:16], "big")) - geometric(
        int.from_bytes(digest[16:], "big")
    )


def test_its_noise_is_the_documented_draw():
    rng = random.Random(5)
    for method in (METHOD, Method(epsilon=1.5)):
        for _ in range(200):
            key, value = rng.getrandbits(64), rng.randrange(1, 10_000)
            path = ("by_station", f"stn-{rng.randrange(30)}", rng.choice(FIGURES))
            assert noise(
                secret=SECRET, path=path, cell_key=key, value=value, method=method
            ) == _reference_noise(SECRET, path, key, value, method)


def test_its_alpha_is_exp_minus_epsilon():
    for epsilon in (0.5, 0.7, 2.0):
        alpha = int(Method(epsilon=epsilon).as_dict()["alpha_fixed128"], 16) / 2**128
        assert alpha == pytest.approx(math.exp(-epsilon), rel=1e-15)


def test_its_noise_is_two_sided_geometric_with_the_documented_spread():
    path = ("figures", "registered")
    draws = [
        noise(secret=SECRET, path=path, cell_key=key, value=7, method=METHOD)
        for key in range(20_000)
    ]
    alpha = math.exp(-METHOD.epsilon)
    mean = sum(draws) / len(draws)
    sd = math.sqrt(sum((d - mean) ** 2 for d in draws) / len(draws))
    assert abs(mean) < 0.1
    assert sd == pytest.approx(METHOD.noise_sd, rel=0.05)
    assert 2.5 < METHOD.noise_sd < 3
    assert draws.count(0) / len(draws) == pytest.approx((1 - alpha) / (1 + alpha), abs=0.02)
    assert max(draws) > 15
    assert min(draws) < -15


def test_it_publishes_known_values_for_a_worked_example():
    """The example in docs/disclosure.md."""
    secret = b"example secret"
    first, second = (
        case_key(secret, "3f1c0a9be2d4c7a18f02"),
        case_key(secret, "0b7d2e4a91c3f5e6a8d0"),
    )
    assert (first, second) == (0xD96E6BB7C71951C1, 0x8F83DEEAE4B40CB1)
    assert disclosure.tally_key(secret, 17) == 0xAB0E9535643FACE9
    cell = (first + second) % 2**64
    assert cell == 0x68F24AA2ABCD5E72
    assert METHOD.as_dict()["alpha_fixed128"] == "9b4597e37cb04ff3d675a35530cdd767"
    path = ("by_station", "alp1", "registered")
    shown = [
        perturb(secret=secret, path=path, cell_key=cell, value=v, method=METHOD)
        for v in (2, 12, 40)
    ]
    assert shown == [None, 13, 41]
    empty = [("by_station", f"alp{n}", "referred") for n in (1, 3, 2)]
    assert [noise(secret=secret, path=p, cell_key=0, value=0, method=METHOD) for p in empty] == [
        0,
        2,
        2,
    ]


# -- the published tables ---------------------------------------------------------------


def test_it_publishes_the_same_sections_every_time(program):
    first = sections(program.records)
    assert sections(list(program.records)) == first
    assert set(first) == {"method", "tables_through", "exact", *disclosure.SECTIONS}
    assert first["method"]["name"] == "cell-key perturbation, two-sided geometric"
    assert table_cells(sections(program.records, secret=b"another secret")) != table_cells(first)


def published_exact(records) -> dict[str, Any]:
    """The exact cells of the cells a bulletin publishes (by station: registered only)."""
    exact = cells(figures_exact(records, program=PROGRAM, rows=ROWS))
    return {
        name: value
        for name, value in exact.items()
        if not name.startswith("by_station.") or name.endswith(".registered")
    }


def test_it_publishes_no_outcome_by_station(program):
    """An onlooker at a station's door sees who goes in: the bulletin counts by station
    who registered, and no outcome (managers' exact tables do)."""
    shown = sections(program.records)
    assert all(list(row) == ["registered"] for row in shown["by_station"].values())
    exact = figures_exact(program.records, program=PROGRAM, rows=ROWS)
    assert all(set(row) == set(FIGURES) for row in exact["by_station"].values())
    assert all(set(row) == set(FIGURES) for row in shown["by_sex"].values())


def test_it_perturbs_most_cells(program):
    exact = published_exact(program.records)
    shown = table_cells(sections(program.records))
    assert exact.keys() == shown.keys()
    changed = [name for name, value in exact.items() if value >= 10 and shown[name] != value]
    assert len(changed) > 0.6 * sum(1 for v in exact.values() if v >= 10)


def test_it_publishes_an_unchanged_cell_the_same_on_the_next_day(program):
    first = sections(program.records)
    for _ in range(25):
        link = program.register(6, station="stn-new", sex="male", band="18-24")
        program.event(link, "decision_taken", 7, outcome="amnesty")
    second = sections(program.records)
    assert second["by_station"]["stn-1"] == first["by_station"]["stn-1"]
    assert second["by_sex"]["female"] == first["by_sex"]["female"]
    assert second["children"] == first["children"]
    assert second["by_day"][program.day(2)] == first["by_day"][program.day(2)]
    assert second["by_sex"]["male"] != first["by_sex"]["male"]


def test_it_publishes_every_declared_row_whoever_is_in_it():
    program = Program()
    program.register(0, station="stn-3", sex="female", band="25-34")
    shown = sections(program.records)
    assert list(shown["by_station"]) == list(ROWS.station)
    assert list(shown["by_sex"]) == ["female", "male"]
    assert list(shown["by_age_band"]) == list(ROWS.age_band)
    assert list(shown["by_day"]) == list(ROWS.day)
    assert set(shown["children"]) == set(FIGURES)
    nobody = sections([])
    assert table_cells(nobody).keys() == table_cells(shown).keys()


def test_it_draws_empty_cells_like_any_other_and_never_shows_a_zero():
    """A true 0 is not published as 0, so a "< 5" does not say that someone is in the cell."""
    program = Program()
    for _ in range(12):
        program.register(6, station="stn-1", band="25-34")
    exact = published_exact(program.records)
    shown = table_cells(sections(program.records))
    zeros = [name for name, value in exact.items() if value == 0]
    assert len(zeros) > 80
    assert 0 not in shown.values()
    phantoms = [name for name in zeros if shown[name] is not None]
    assert all(shown[name] >= METHOD.min_cell for name in phantoms)
    # two-sided geometric: P(0 + Z >= 5) = alpha^5 / (1 + alpha), about 5 %
    assert 0.01 < len(phantoms) / len(zeros) < 0.12
    # each empty cell has a draw of its own, the same on every publication
    assert table_cells(sections(program.records)) == shown
    again = table_cells(sections(program.records, secret=b"another secret"))
    assert [again[name] for name in zeros] != [shown[name] for name in zeros]


def test_it_counts_days_outside_the_window_in_earlier_and_later():
    program = Program()
    program.start = dt.date(2016, 7, 1)
    program.register(0, band="25-34")
    program.start = dt.date(2016, 9, 1)
    for _ in range(3):
        program.register(0, band="25-34")
    program.tally(1, "p-north", 40)
    exact = figures_exact(program.records, program=PROGRAM, rows=ROWS)
    assert exact["by_day"][EARLIER]["registered"] == 1
    assert exact["by_day"][LATER]["registered"] == 3
    assert exact["corridor"] == {LATER: {"p-north": 40}}
    assert "2016-09-01" not in sections(program.records)["by_day"]


@pytest.mark.parametrize(
    "method", [METHOD, Method(min_cell=10, epsilon=0.3), Method(min_cell=3, epsilon=2.0)]
)
def test_it_never_shows_a_number_below_the_minimum_cell(method):
    seen_null = 0
    for seed in range(25):
        program = Program(seed, stations=8)
        for day in range(4):
            program.random_day(day, 12)
        published = table_cells(sections(program.records, method=method))
        assert all(value is None or value >= method.min_cell for value in published.values())
        seen_null += sum(value is None for value in published.values())
    assert seen_null > 0


def test_it_perturbs_corridor_counts_too():
    program = Program()
    for day in range(30):
        program.tally(day, "p-north", 100)
    shown = sections(program.records)["corridor"]
    assert {day["p-north"] for day in shown.values()} != {100}


# -- the exact block --------------------------------------------------------------------


def _registrations(program: Program, day: int, people: int) -> None:
    for _ in range(people):
        program.register(day, band="25-34")


def test_it_holds_the_exact_total_when_a_day_adds_fewer_than_the_minimum():
    program = Program()
    # no block while the total is below the minimum, 0 included: its absence says "0 to 4"
    assert exact_block([], program=PROGRAM, method=METHOD, previous=None) is None
    _registrations(program, 0, 3)
    assert exact_block(program.records, program=PROGRAM, method=METHOD, previous=None) is None
    _registrations(program, 1, 20)
    first = exact_block(program.records, program=PROGRAM, method=METHOD, previous=None)
    assert first == {"as_of_size": 23, "figures": {"registered": 23}}
    _registrations(program, 2, 2)
    assert exact_block(program.records, program=PROGRAM, method=METHOD, previous=first) == first
    _registrations(program, 3, 3)
    second = exact_block(program.records, program=PROGRAM, method=METHOD, previous=first)
    assert second == {"as_of_size": 28, "figures": {"registered": 28}}
    program.records += [None, {"event": "padding"}]
    # nothing moved: the block already committed stands (no new totals leaf every day)
    assert exact_block(program.records, program=PROGRAM, method=METHOD, previous=second) == second


def test_it_holds_the_exact_block_when_two_exact_figures_differ_by_a_small_number():
    method = Method(exact=("registered", "amnesty_granted"))
    program = Program()
    links = [program.register(0, band="25-34") for _ in range(20)]
    for link in links[:17]:
        program.event(link, "decision_taken", 1, outcome="amnesty")
    assert exact_block(program.records, program=PROGRAM, method=method, previous=None) is None
    for link in links[17:]:
        program.event(link, "decision_taken", 1, outcome="amnesty")
    # a difference of 0 (everyone amnestied) is held too: a block not shown must not say 1-4
    assert exact_block(program.records, program=PROGRAM, method=method, previous=None) is None
    _registrations(program, 2, 10)
    assert exact_block(program.records, program=PROGRAM, method=method, previous=None) == {
        "as_of_size": 50,
        "figures": {"registered": 30, "amnesty_granted": 20},
    }


def test_it_holds_the_exact_block_when_a_difference_changes_by_a_small_number():
    method = Method(exact=("registered", "amnesty_granted"))
    program = Program()
    links = [program.register(0, band="25-34") for _ in range(30)]
    for link in links[:10]:
        program.event(link, "decision_taken", 1, outcome="amnesty")
    first = exact_block(program.records, program=PROGRAM, method=method, previous=None)
    assert first == {"as_of_size": 40, "figures": {"registered": 30, "amnesty_granted": 10}}
    new = [program.register(2, band="25-34") for _ in range(8)]
    for link in new[:5]:
        program.event(link, "decision_taken", 2, outcome="amnesty")
    # each figure moved by 8 and 5, but registered - amnestied moved by 3
    assert exact_block(program.records, program=PROGRAM, method=method, previous=first) == first


def test_it_publishes_the_exact_block_in_the_bulletin():
    program = Program()
    _registrations(program, 0, 20)
    first = sections(program.records)
    assert first["exact"] == {"as_of_size": 20, "figures": {"registered": 20}}
    _registrations(program, 1, 1)
    assert sections(program.records, previous=first["exact"])["exact"] == first["exact"]


# -- the monitor's check ----------------------------------------------------------------


def test_the_check_passes_honest_output_over_a_series_of_days():
    program = Program(seed=11, stations=10)
    previous = None
    for day in range(8):
        program.random_day(day, 300 if day < 7 else 2)
        published = sections(program.records, previous=previous)
        assert check(program.records, published) == []
        assert check(program.records, published, previous_exact=previous) == []
        previous = published["exact"]
    assert len(program.records) > 2000


def test_the_check_passes_a_bulletin_of_20000_records():
    program = Program(seed=12, stations=20)
    for day in range(10):
        program.random_day(day, 1400)
    assert len(program.records) > 20_000
    published = sections(program.records) | {"format": "sulh-bulletin/1", "program": PROGRAM}
    assert check(program.records, published) == []


def test_the_check_names_a_changed_cell(program):
    published = sections(program.records)
    station = sorted(published["by_station"])[0]
    true = published["by_station"][station]["registered"]
    published["by_station"][station]["registered"] = true + 2
    assert check(program.records, published) == [
        f"by_station.{station}.registered: published {true + 2}, the records give {true}"
    ]


def test_the_check_names_a_hidden_cell_shown_and_an_extra_one(program):
    published = sections(program.records)
    shown = published["by_sex"]["female"]["registered"]
    published["by_sex"]["female"]["registered"] = None
    published["by_sex"]["female"]["weapons"] = 12
    problems = check(program.records, published)
    assert f"by_sex.female.registered: published < 5, the records give {shown}" in problems
    assert "by_sex.female.weapons: published, but the records have no such cell" in problems


def test_the_check_catches_a_removed_record(program):
    published = sections(program.records)
    decision = next(
        i for i, r in enumerate(program.records) if r and r["event"] == "decision_taken"
    )
    removed = list(program.records)
    removed[decision] = None
    assert check(removed, published)


def test_the_check_catches_added_records(program):
    """Five registrations more at one station: enough to move its cells (fewer may move
    none; the leaves' commitments are what catch a single added record)."""
    published = sections(program.records)
    added = [
        *program.records,
        *(
            {
                "event": "registered",
                "program": PROGRAM,
                "station": "stn-1",
                "day": program.day(5),
                "link": f"link-added-{n}",
                "sex": "female",
                "age_band": "25-34",
            }
            for n in range(5)
        ),
    ]
    problems = check(added, published)
    assert any("by_station.stn-1" in p for p in problems)


def test_the_check_catches_a_wrong_exact_block(program):
    published = sections(program.records)
    size = published["exact"]["as_of_size"]
    published["exact"] = {
        "as_of_size": size,
        "figures": {"registered": published["exact"]["figures"]["registered"] + 1},
    }
    problems = check(program.records, published)
    assert problems[-1] == (
        f"exact.registered: published {published['exact']['figures']['registered']}, the records give {published['exact']['figures']['registered'] - 1} as of size {size}"
    )


def test_the_check_catches_an_exact_block_held_without_cause(program):
    published = sections(program.records)
    old = exact_block(program.records[:100], program=PROGRAM, method=METHOD, previous=None)
    assert old is not None
    problems = check(program.records, published | {"exact": old})
    assert problems[-1] == (
        f"exact: held at size 100, but the hold rule lets it advance to {len(program.records)}"
    )


def test_the_check_catches_an_exact_block_the_hold_rule_forbids():
    program = Program()
    _registrations(program, 0, 20)
    yesterday = sections(program.records)["exact"]
    _registrations(program, 1, 2)
    published = sections(program.records, previous=yesterday)
    published["exact"] = {"as_of_size": 22, "figures": {"registered": 22}}
    # the program's perturbed `registered` is drawn at the block's size
    published["figures"]["registered"] = sections(program.records)["figures"]["registered"]
    assert check(program.records, published) == []  # without yesterday, a change cannot be seen
    assert check(program.records, published, previous_exact=yesterday)
    small = {"as_of_size": 3, "figures": {"registered": 3}}
    assert check(program.records[:3], sections(program.records[:3]) | {"exact": small}) == [
        "exact: {'registered': 3} is a block the hold rule forbids"
    ]


def test_the_check_catches_another_method(program):
    published = sections(program.records)
    problems = check(program.records, published, method=Method(epsilon=0.8))
    assert problems[0].startswith("method: published")
    assert len(problems) > 5


# -- the method's description -----------------------------------------------------------


def test_the_method_names_itself_and_round_trips():
    described = METHOD.as_dict()
    assert described["min_cell"] == 5
    assert described["epsilon"] == 0.5
    assert described["exact"] == ["registered"]
    assert Method.from_dict(described) == METHOD
    with pytest.raises(ValueError):
        Method.from_dict(described | {"alpha_fixed128": "0" * 32})
    with pytest.raises(ValueError):
        Method(exact=("weapons",))
    with pytest.raises(ValueError):
        Method(name="suppression")


def test_the_figures_are_the_logs():
    assert (
        disclosure.FIGURES
        == FIGURES
        == ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
    )


def test_the_check_says_what_is_wrong_with_a_bulletin_that_is_not_one(program):
    assert check(program.records, [sections(program.records)]) == [
        "the bulletin is a list, not a JSON object"
    ]
    published = sections(program.records)
    ahead = {"as_of_size": len(program.records) + 5, "figures": {"registered": 9}}
    assert check(program.records, published, previous_exact=ahead)[0].startswith(
        "exact: the previous block"
    )


def test_the_declared_sexes_and_bands_are_every_one_a_registration_can_have():
    assert set(disclosure.SEXES) == set(Sex.values)
    adult = [label for low, _, label in AGE_BANDS if low >= 18]
    assert list(disclosure.ADULT_BANDS) == [*adult, "unknown"]


def test_the_check_names_a_declared_row_left_out(program):
    published = sections(program.records)
    del published["by_sex"]["male"]
    del published["by_day"]["2016-08-13"]
    problems = check(program.records, published)
    assert (
        "by_sex: declares ['female', 'unknown'], every bulletin declares ['female', 'male']"
        in problems
    )
    assert "by_day: no row for the day after 2016-08-12" in problems


def test_a_bulletin_read_back_without_key_order_is_put_back_in_reading_order(program):
    """PostgreSQL's jsonb stores objects with keys ordered by length: `later` before
    `earlier` before the days, `denied` before `registered`."""
    published = sections(program.records)

    def shuffled(value):
        if not isinstance(value, dict):
            return value
        return {k: shuffled(value[k]) for k in sorted(value, key=lambda k: (len(k), k))}

    again = disclosure.bulletin_in_order(shuffled(published))
    assert again == published
    assert list(again["by_day"]) == list(ROWS.day)
    assert list(again["by_sex"]) == ["female", "male", "unknown"]
    assert list(again["by_age_band"])[: len(ROWS.age_band)] == list(ROWS.age_band)
    assert list(again["figures"]) == list(FIGURES)
    assert list(again["by_station"]) == sorted(published["by_station"])
    assert [list(row) for row in again["by_day"].values()] == [["registered", "decided"]] * len(
        ROWS.day
    )
