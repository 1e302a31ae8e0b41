"""A day's publication for a program with 1,000,000 logged events (target: <= 30 s on 2
cores), and the monitor's check of it with the openings (target: <= 60 s).

Each measurement against the floor of the same run (a bare SHA-256 loop over the same
leaves, the least any verifiable computation must do):

1. the operator's path: with the events in the database as commitments, their openings
   sealed (SQLite in a temporary data folder; inserting them is set-up, not timed),
   ``ledger_publish``: pad, exact totals, sign a tree head, every program's bulletin under
   the disclosure method, and a package of openings encrypted to one monitor (HPKE);
2. the monitor's path: ``sulh monitor check`` with the openings: decrypt the package, check
   every opening against its commitment, recompute the root and every figure.

    python -m bench ledger_bulletin [--events 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from sulh.keys.signing import canonical
from sulh.ledger.leaves import commitment_leaf, commitment_of, event_record
from sulh.ledger.merkle import leaf_hash

PROGRAM = "aleppo-2016-amnesty"
STATIONS = [f"station-{i:02d}" for i in range(20)]
OUTCOMES = ["amnesty", "amnesty", "amnesty", "departure", "departure", "referral", "denial"]
BANDS = ["18-24", "25-34", "35-49", "50+", "unknown", "child"]  # the bands intake records


def synthetic_records(events: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Registrations, decisions and cards of generated cases over 60 days."""
    rng = random.Random(seed)
    start = dt.date(2016, 7, 1)
    records: list[dict[str, Any]] = []
    case = 0
    while len(records) < events:
        case += 1
        link = f"{case:020x}"
        day = start + dt.timedelta(days=rng.randrange(60))
        station = rng.choice(STATIONS)
        common = {"program": PROGRAM, "station": station, "link": link}
        records.append(
            event_record(
                event="registered", day=day.isoformat(),
                sex=rng.choice(["male", "male", "male", "female"]), age_band=rng.choice(BANDS),
                **common,
            )
        )  # fmt: skip
        if rng.random() < 0.8:
            outcome = rng.choice(OUTCOMES)
            later = (day + dt.timedelta(days=rng.randrange(1, 4))).isoformat()
            records.append(
                event_record(event="decision_taken", day=later, outcome=outcome, **common)
            )
            if outcome in {"amnesty", "departure"} and rng.random() < 0.5:
                records.append(event_record(event="card_issued", day=later, **common))
    return records[:events]


def _setup(records: list[dict[str, Any]], folder: Path) -> tuple[list[bytes], float]:
    """The events in the database, as the log's hooks would have written them."""
    os.environ["SULH_DATA_DIR"] = str(folder / "data")
    os.environ.pop("DATABASE_URL", None)
    from django.core.management import call_command

    from sulh.core.setup import setup_django

    setup_django()
    call_command("migrate", verbosity=0)
    from django.conf import settings

    from sulh.keys.keyring import keyring_create
    from sulh.keys.sealing import seal
    from sulh.keys.services import root_online_create
    from sulh.ledger.models import LedgerHead, LedgerLeaf
    from sulh.programs.services import program_sync

    program_sync(directory=settings.SULH_PROGRAMS_DIR)
    keyring_create()
    root_online_create()
    started = time.perf_counter()
    leaves: list[bytes] = []
    batch = 20_000
    for first in range(0, len(records), batch):
        rows = []
        for i, record in enumerate(records[first : first + batch]):
            salt = secrets.token_bytes(32)
            leaf = commitment_leaf(commitment_of(salt, record))
            leaves.append(leaf)
            opening = canonical({"record": record, "salt": salt.hex()}).decode()
            index = first + i
            rows.append(
                LedgerLeaf(
                    index=index, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex(),
                    opening=seal(opening, context=f"ledger.LedgerLeaf.opening@{index}",
                                 min_bucket=512),
                )
            )  # fmt: skip
        LedgerLeaf.objects.bulk_create(rows)
    LedgerHead.objects.update_or_create(name="default", defaults={"size": len(records)})
    return leaves, time.perf_counter() - started


def _operator_path(folder: Path) -> float:
    from sulh.keys.monitors import MonitorKeys
    from sulh.keys.services import monitor_enrol

    keys = MonitorKeys.generate()
    (folder / "monitor.key").write_bytes(keys.to_pem())
    monitor_enrol(public=keys.public("Bench monitor"))
    from sulh.ledger.publication import ledger_publish

    started = time.perf_counter()
    ledger_publish(force=True)
    return time.perf_counter() - started


def _monitor_path(folder: Path) -> tuple[float, int]:
    from sulh.ledger.monitor import monitor_check
    from sulh.ledger.publication import bulletin_write, monitor_package_write

    out = folder / "out"
    bulletin_write(program=PROGRAM, out=out)
    monitor_package_write(monitor="Bench monitor", out=out / "openings")
    started = time.perf_counter()
    report = monitor_check(
        bulletin=out / f"bulletin-{PROGRAM}.json", leaves=out / "leaves.jsonl",
        tree_head=out / "tree-head.json", key=out / "ledger-key.pem",
        openings=out / "openings", monitor_key=folder / "monitor.key",
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the monitor found differences: {report.problems[:3]}")
    return elapsed, report.checked


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench ledger_bulletin")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    records = synthetic_records(args.events)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        leaves, inserted = _setup(records, folder)
        started = time.perf_counter()
        for leaf in leaves:
            hashlib.sha256(b"\x00" + leaf).digest()
        floor = time.perf_counter() - started
        publish = _operator_path(folder)
        monitor, checked = _monitor_path(folder)
        print(f"{'what':<60} {'seconds':>8} {'x floor':>8}")
        print(f"{'bare SHA-256 over every leaf (floor)':<60} {floor:>8.2f} {1:>8.1f}")
        what = "operator: ledger_publish (5 bulletins, 1 monitor package)"
        print(f"{what:<60} {publish:>8.2f} {publish / floor:>8.1f}")
        what = "monitor: check with the openings"
        print(f"{what:<60} {monitor:>8.2f} {monitor / floor:>8.1f}")
        print(f"(set-up, not timed: inserting {len(leaves):,} sealed leaves took {inserted:.1f} s;"
              f" the monitor made {checked:,} checks)")  # fmt: skip
    print(f"events: {args.events:,}; targets: publication <= 30 s, the monitor's check <= 60 s")
    return 0
