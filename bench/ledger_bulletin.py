"""A day's bulletin for a program with 1,000,000 logged events (target: <= 30 s on 2 cores).

Two measurements, each against the floor of the same run (a bare SHA-256 loop over
the same leaves, the least any verifiable computation must do):

1. the monitor's path: read leaves.jsonl, recompute the root and every figure;
2. the operator's path: with the events in the database (SQLite in a temporary
   data folder; inserting them is set-up, not timed), ``bulletin_publish``: sign a
   tree head, export the log, compute the bulletin, write JSON, HTML and PDF.

    python -m bench ledger_bulletin [--events 1000000] [--no-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import tempfile
import time
from pathlib import Path

from sulh.ledger.leaves import canonical_leaf
from sulh.ledger.merkle import leaf_hash, root_from_hashes
from sulh.ledger.monitor import bulletin_from_leaves

PROGRAM = "aleppo-2016-amnesty"
STATIONS = [f"station-{i:02d}" for i in range(20)]
OUTCOMES = ["amnesty", "amnesty", "amnesty", "departure", "departure", "referral", "denial"]
BANDS = ["18-24", "25-34", "35-49", "50-64", "65+", "child"]


def synthetic_leaves(events: int, *, seed: int = 7) -> list[bytes]:
    """Registrations, decisions and cards of generated cases over 60 days, ``events`` leaves."""
    rng = random.Random(seed)
    start = dt.date(2016, 7, 1)
    leaves: list[bytes] = []
    case = 0
    while len(leaves) < events:
        case += 1
        pseudonym = f"{case:020x}"
        day = start + dt.timedelta(days=rng.randrange(60))
        station = rng.choice(STATIONS)
        leaves.append(
            canonical_leaf(
                event="registered",
                program=PROGRAM,
                station=station,
                day=day.isoformat(),
                case=pseudonym,
                sex=rng.choice(["male", "male", "male", "female"]),
                age_band=rng.choice(BANDS),
            )
        )
        if rng.random() < 0.8:
            outcome = rng.choice(OUTCOMES)
            later = (day + dt.timedelta(days=rng.randrange(1, 4))).isoformat()
            leaves.append(
                canonical_leaf(
                    event="decision_taken",
                    program=PROGRAM,
                    station=station,
                    day=later,
                    case=pseudonym,
                    outcome=outcome,
                )
            )
            if outcome in {"amnesty", "departure"} and rng.random() < 0.5:
                leaves.append(
                    canonical_leaf(
                        event="card_issued",
                        program=PROGRAM,
                        station=station,
                        day=later,
                        case=pseudonym,
                    )
                )
    return leaves[:events]


def _monitor_path(path: Path) -> float:
    started = time.perf_counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    root = root_from_hashes([leaf_hash(line.encode()) for line in lines]).hex()
    head = {"size": len(lines), "root_hash": root}
    bulletin_from_leaves(
        [json.loads(line) for line in lines], program=PROGRAM, min_cell=5, tree_head=head, day=""
    )
    return time.perf_counter() - started


def _operator_path(leaves: list[bytes], folder: Path) -> tuple[float, float]:
    os.environ["SULH_DATA_DIR"] = str(folder / "data")
    os.environ.pop("DATABASE_URL", None)
    from django.core.management import call_command

    from sulh.core.setup import setup_django

    setup_django()
    call_command("migrate", verbosity=0)
    from django.conf import settings

    from sulh.ledger.models import LedgerHead, LedgerLeaf
    from sulh.ledger.services import bulletin_publish
    from sulh.programs.services import program_sync

    program_sync(directory=settings.SULH_PROGRAMS_DIR)
    started = time.perf_counter()
    batch = 20_000
    for first in range(0, len(leaves), batch):
        LedgerLeaf.objects.bulk_create(
            LedgerLeaf(index=first + i, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex())
            for i, leaf in enumerate(leaves[first : first + batch])
        )
    LedgerHead.objects.update_or_create(name="default", defaults={"size": len(leaves)})
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    bulletin_publish(program_code=PROGRAM, out=folder / "out")
    return time.perf_counter() - started, inserted


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench ledger_bulletin")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--no-db", action="store_true", help="skip the operator's path")
    args = parser.parse_args(argv)
    leaves = synthetic_leaves(args.events)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "leaves.jsonl"
        path.write_bytes(b"\n".join(leaves) + b"\n")
        started = time.perf_counter()
        for leaf in leaves:
            hashlib.sha256(b"\x00" + leaf).digest()
        floor = time.perf_counter() - started
        monitor = _monitor_path(path)
        print(f"{'what':<52} {'seconds':>8} {'x floor':>8}")
        print(f"{'bare SHA-256 over every leaf (floor)':<52} {floor:>8.2f} {1:>8.1f}")
        print(f"{'monitor: root and figures from leaves.jsonl':<52} {monitor:>8.2f}", end="")
        print(f" {monitor / floor:>8.1f}")
        if not args.no_db:
            publish, inserted = _operator_path(leaves, folder)
            print(f"{'operator: bulletin_publish from the database':<52} {publish:>8.2f}", end="")
            print(f" {publish / floor:>8.1f}")
            print(f"(set-up, not timed: inserting {len(leaves):,} leaves took {inserted:.1f} s)")
    print(f"events: {args.events:,}; target: a day's bulletin in <= 30 s")
    return 0
