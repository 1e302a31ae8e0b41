"""The disclosure module over a day's records: 1,000,000 opened events of one program (about
300,000 cases), through ``bulletin_sections`` and the monitor's ``check_sections``
(target: well under 15 s each on 2 cores).

    python -m bench ledger_disclosure [--events 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from typing import Any

from sulh.ledger.disclosure import Method, bulletin_sections, check_sections, figures_exact

PROGRAM = "aleppo-2016-amnesty"
STATIONS = [f"station-{i:02d}" for i in range(20)]
POINTS = [f"point-{i}" for i in range(4)]
OUTCOMES = ["amnesty", "amnesty", "amnesty", "departure", "departure", "referral", "denial"]
BANDS = ["18-24", "25-34", "35-49", "50-64", "65+", "unknown", "child"]


def synthetic_records(events: int, *, seed: int = 7) -> list[dict[str, Any] | None]:
    """Opened records of generated cases over 60 days: registrations, decisions, cards,
    appeals, duplicates, corridor tallies, and some leaves not opened (None)."""
    rng = random.Random(seed)
    start = dt.date(2016, 7, 1)
    records: list[dict[str, Any] | None] = []
    case = 0
    while len(records) < events:
        case += 1
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
            elif rng.random() < 0.3:
                records.append(base | {"event": "appealed", "day": later})
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ledger_disclosure")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    records = synthetic_records(args.events)
    cases = sum(1 for r in records if r is not None and r["event"] == "registered")
    method, secret = Method(), b"bench secret, not a real one"
    print(f"{len(records):,} records, {cases:,} cases")
    started = time.perf_counter()
    figures_exact(records, program=PROGRAM)
    print(f"figures_exact: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    sections = bulletin_sections(
        records, program=PROGRAM, method=method, secret=secret, previous_exact=None
    )
    print(f"bulletin_sections: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    problems = check_sections(
        records, program=PROGRAM, method=method, secret=secret, published=sections
    )
    print(f"check_sections: {time.perf_counter() - started:.2f} s ({len(problems)} differences)")
    return 1 if problems else 0
