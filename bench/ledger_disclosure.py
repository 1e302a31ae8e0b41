"""The disclosure module over a day's records: 1,000,000 opened events of one program (about
300,000 cases), through ``bulletin_sections`` and the monitor's ``check_sections``
(target: well under 15 s each on 2 cores).

With ``--guess``, also estimate how often an attacker's maximum-likelihood guess of a small
cell (true value 1 to min_cell - 1) is right, from the cell alone, with the linear relations
of one bulletin (its row and its column), and with those relations on many days while the
cell itself stays unchanged (its noise is then the same every day, but the other cells of
its row and column change and bring fresh noise): the figures in docs/disclosure.md.

    python -m bench ledger_disclosure [--events 1000000] [--guess [--epsilon E]]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import time
from collections.abc import Callable
from typing import Any

from sulh.ledger.disclosure import (
    EARLIER,
    LATER,
    Method,
    Rows,
    bulletin_sections,
    check_sections,
    figures_exact,
)

SPAN = 400  # noise support kept in the likelihoods: |z| <= SPAN (the rest weighs < 1e-80)
CANDIDATES = range(0, 80)  # a null may be a zero (sulh-cellkey/2 draws zeros too)

PROGRAM = "aleppo-2016-amnesty"
STATIONS = [f"station-{i:02d}" for i in range(20)]
POINTS = [f"point-{i}" for i in range(4)]
OUTCOMES = ["amnesty", "amnesty", "amnesty", "departure", "departure", "referral", "denial"]
BANDS = [
    "18-24",
    "25-34",
    "35-49",
    "50+",
    "unknown",
    "child",
]  # the adult bands every bulletin declares
DAYS = [(dt.date(2016, 7, 1) + dt.timedelta(days=n)).isoformat() for n in range(64)]
ROWS = Rows(
    station=tuple(STATIONS),
    sex=("female", "male"),
    age_band=tuple(b for b in BANDS if b != "child"),
    day=(EARLIER, *DAYS, LATER),
)


def synthetic_records(events: int, *, seed: int = 7) -> list[dict[str, Any] | None]:
    """Opened records of generated cases over 60 days: registrations, decisions, cards,
    appeals, duplicates, corridor tallies, and some leaves not opened (None)."""
    rng = random.Random(seed)
    start = dt.date(2016, 7, 1)
    records: list[dict[str, Any] | None] = []
    case = 0
    while len(records) < events:
        case += 1
        if rng.random() < 0.25:  # cases registered earlier, now decided or carded
            records.append(
                {
                    "event": "card_issued",
                    "program": PROGRAM,
                    "station": "station-00",
                    "day": start.isoformat(),
                    "link": f"{rng.randrange(1, case):020x}",
                }
            )
        link = f"{case:020x}"
        day = start + dt.timedelta(days=rng.randrange(60))
        station = rng.choice(STATIONS)
        base = {"program": PROGRAM, "station": station, "link": link}
        records.append(
            base
            | {
                "event": "registered",
                "day": day.isoformat(),
                "sex": rng.choice(["male", "male", "male", "female"]),
                "age_band": rng.choice(BANDS),
            }
        )
        later = (day + dt.timedelta(days=rng.randrange(1, 4))).isoformat()
        roll = rng.random()
        if roll < 0.02:
            records.append(base | {"event": "closed_as_duplicate", "day": later})
        elif roll < 0.8:
            outcome = rng.choice(OUTCOMES)
            records.append(base | {"event": "decision_taken", "day": later, "outcome": outcome})
            if outcome in {"amnesty", "departure"}:
                records.append(base | {"event": "card_issued", "day": later})
                if rng.random() < 0.1:
                    records.append(base | {"event": "card_revoked", "day": later})
            elif rng.random() < 0.6:
                records.append(base | {"event": "appealed", "day": later})
                if rng.random() < 0.7:
                    again = {"event": "decision_taken", "day": later, "outcome": "amnesty"}
                    records.append(base | again)
        if rng.random() < 0.01:
            records.append(None)
        if rng.random() < 0.002:
            records.append(
                {
                    "event": "corridor_count",
                    "program": PROGRAM,
                    "station": rng.choice(POINTS),
                    "day": day.isoformat(),
                    "count": rng.randrange(0, 400),
                }
            )
    return records[:events]


def _pmf(alpha: float, terms: int) -> list[float]:
    """The sum of ``terms`` two-sided geometric draws: index z + SPAN for |z| <= SPAN."""
    one = [(1 - alpha) / (1 + alpha) * alpha ** abs(z) for z in range(-SPAN, SPAN + 1)]
    total = one
    for _ in range(terms - 1):
        summed = [0.0] * (2 * SPAN + 1)
        for i, p in enumerate(total):
            if p < 1e-200:
                continue
            for j in range(max(0, SPAN - i), min(2 * SPAN + 1, 3 * SPAN + 1 - i)):
                summed[i + j - SPAN] += p * one[j]
        total = summed
    return total


def _draw(rng: random.Random, alpha: float) -> int:
    def geometric() -> int:
        k = 0
        while rng.random() < alpha:
            k += 1
        return k

    return geometric() - geometric()


def _guess_rate(method: Method, *, days: int, relations: tuple[int, ...], trials: int) -> float:
    """How often the maximum-likelihood value of a small cell, given its published value and
    ``days`` fresh observations of each linear relation (a relation of n other cells is the
    cell plus the noise of n + 1 draws, none of them hidden: the attacker's best case)."""
    rng = random.Random(11)
    alpha = math.exp(-method.epsilon)
    floor = math.log(1e-300)
    logs = {
        n: [math.log(p) if p > 1e-300 else floor for p in _pmf(alpha, n)] for n in {1, *relations}
    }
    below = {  # log P(value + Z < min_cell)
        value: math.log(sum(math.exp(x) for x in logs[1][: method.min_cell - 1 - value + SPAN + 1]))
        for value in CANDIDATES
    }

    def log_pmf(n: int, z: int) -> float:
        return logs[n][z + SPAN] if -SPAN <= z <= SPAN else floor

    right = 0
    for trial in range(trials):
        true = 1 + trial % (method.min_cell - 1)
        shown = true + _draw(rng, alpha)
        observed = [
            (n, true + sum(_draw(rng, alpha) for _ in range(n)))
            for n in relations
            for _ in range(days)
        ]

        scores = {
            value: (below[value] if shown < method.min_cell else log_pmf(1, shown - value))
            + sum(log_pmf(n, e - value) for n, e in observed)
            for value in CANDIDATES
        }
        right += max(scores, key=scores.__getitem__) == true
    return right / trials


def _guesses(method: Method) -> None:
    print(f"ML guess of a cell of true value 1..{method.min_cell - 1} (epsilon {method.epsilon}):")
    scenarios = [
        ("the cell alone, one bulletin", 0, ()),
        ("with its row (5 others) and column (10), one bulletin", 1, (5, 10)),
        ("the same, 10 days", 10, (5, 10)),
        ("the same, 30 days", 30, (5, 10)),
        ("the same, 100 days", 100, (5, 10)),
    ]
    for label, days, relations in scenarios:
        rate = _guess_rate(method, days=days, relations=relations, trials=1000)
        print(f"  {label}: right {rate:.0%}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ledger_disclosure")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--guess", action="store_true")
    parser.add_argument("--epsilon", type=float, default=Method().epsilon)
    args = parser.parse_args(argv)
    if args.guess:
        _guesses(Method(epsilon=args.epsilon))
    records = synthetic_records(args.events)
    cases = sum(1 for r in records if r is not None and r["event"] == "registered")
    method, secret = Method(), b"bench secret, not a real one"
    print(f"{len(records):,} records, {cases:,} cases (wall and CPU time; others share the cores)")
    _timed("figures_exact", lambda: figures_exact(records, program=PROGRAM))
    sections = _timed(
        "bulletin_sections",
        lambda: bulletin_sections(
            records,
            program=PROGRAM,
            method=method,
            secret=secret,
            previous_exact=None,
            rows=ROWS,
        ),
    )
    problems = _timed(
        "check_sections",
        lambda: check_sections(
            records, program=PROGRAM, method=method, secret=secret, published=sections
        ),
    )
    print(f"  {len(problems)} differences")
    return 1 if problems else 0


def _timed(label: str, work: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    return result
