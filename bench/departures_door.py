"""Boarding at the offline vehicle door (issue 19, item 4), with peers in the same run.

python -m bench departures_door [--boardings 10000] [--throttle 4] [--devices 4]
                                [--drop 0.3] [--postgres] [--only scans|dropping]

Runs the two scenarios of tests/web/bench_door_scenario.py through pytest (for the live
server, the system's Chromium and the test fixtures) and prints their figures:

- **scans**: a 50-seat vehicle (12 families of four and two travellers alone, 14 card
  holders) boarded at /door/ in Chromium at a phone's width with the CPU throttled
  (CDP ``Emulation.setCPUThrottlingRate``, 4 by default): per scan, the card verified on
  the page (verify.js: Base45, inflate, COSE, WebCrypto ES256, the status list) or the
  key read, the traveller found in the pack and shown, the boarding queued; and the same
  until the page has painted. Peer: a bare WebCrypto ES256 verification loop in the
  same page under the same throttling.
- **dropping**: N boardings on one convoy (one crossing) sent by door devices (boarding
  tokens; each device owns whole vehicles and resends each event, same
  device_event_id, until the site answers) through a proxy that resets a share of the
  requests before they reach the server and drops the answer of as many after the
  server recorded them. Then: counted, lost, doubled. Peer: ``GET /healthz`` straight
  to the same server from as many clients.

Targets (issue 19): ≤ 200 ms a scan including offline verification on a phone-class
browser; a 50-seat vehicle in ≤ 5 minutes of system time; 10,000 boardings at one
crossing through a dropping network with no lost or doubled event.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "tests/web/bench_door_scenario.py"


def _print_scans(f: dict) -> bool:
    print(f"\nscans: one 50-seat vehicle, Chromium at 360 px, CPU throttled {f['throttle']:g}x")
    print(f"{'what':<52} {'ms':>8} {'ratio':>7}")
    bare = f["bare_verify_ms"]
    rows = [
        ("bare WebCrypto ES256 verify (peer, same page)", bare),
        ("scan by card: verified, found, queued (median)", f["card_scan_ms_median"]),
        ("scan by card (max)", f["card_scan_ms_max"]),
        ("scan by key: found, queued (median)", f["key_scan_ms_median"]),
        ("any scan until the page has painted (median)", f["painted_ms_median"]),
        ("any scan until the page has painted (max)", f["painted_ms_max"]),
    ]
    for what, ms in rows:
        print(f"{what:<52} {ms:>8.2f} {ms / bare:>7.1f}")
    print(
        f"the vehicle: {f['vehicle_seconds_painted']:.2f} s of system time for 50 scans "
        f"({f['vehicle_seconds_logic']:.2f} s without painting); the queue was on the "
        f"site {f['queue_drained_s_after_last_scan']:.1f} s after the last scan"
    )
    met = f["painted_ms_max"] <= 200 and f["vehicle_seconds_painted"] <= 300
    print(f"targets (≤ 200 ms a scan, ≤ 5 min a vehicle): {'met' if met else 'NOT met'}")
    return met


def _print_dropping(f: dict) -> bool:
    print(
        f"\ndropping: {f['boardings']:,} boardings, {f['devices']} door devices, "
        f"{f['drop']:.0%} of requests cut"
    )
    print(
        f"{f['seconds']:.0f} s, {f['per_second']:.1f} boardings/s "
        f"(healthz peer {f['healthz_per_second_direct']:.0f}/s, ratio "
        f"{f['ratio_to_healthz']:.3f})"
    )
    print(
        f"connections {f['connections']:,}; requests reset before the server "
        f"{f['connections_reset_on_accept']:,}; answers dropped after recording "
        f"{f['answers_dropped_after_recording']:,}; resends {f['resends']:,}; "
        f"server busy {f['server_busy'] or 'never'}"
    )
    print(
        f"answered 201 {f['answered_201']:,}, 200 (a retry, counted once) "
        f"{f['answered_200_replayed']:,}; on the server {f['counted']:,} boardings of "
        f"{f['distinct_travellers']:,} travellers: lost {f['lost']}, doubled {f['doubled']}"
    )
    met = f["lost"] == 0 and f["doubled"] == 0 and f["counted"] == f["boardings"]
    print(f"target (none lost, none doubled): {'met' if met else 'NOT met'}")
    return met


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench departures_door")
    parser.add_argument("--boardings", type=int, default=10000)
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU slowdown for the phone")
    parser.add_argument("--devices", type=int, default=4, help="door devices sending at once")
    parser.add_argument("--drop", type=float, default=0.3, help="share of requests cut")
    parser.add_argument(
        "--postgres",
        default="",
        help="DATABASE_URL of a PostgreSQL database to run on (SQLite otherwise)",
    )
    parser.add_argument("--only", choices=["scans", "dropping"], default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-door-") as scratch:
        out = Path(scratch) / "figures.json"
        env = {
            **os.environ,
            "BENCH_DOOR_OUT": str(out),
            "BENCH_DOOR_BOARDINGS": str(args.boardings),
            "BENCH_DOOR_THROTTLE": str(args.throttle),
            "BENCH_DOOR_DEVICES": str(args.devices),
            "BENCH_DOOR_DROP": str(args.drop),
        }
        if args.postgres:
            env["DATABASE_URL"] = args.postgres
        command = [sys.executable, "-m", "pytest", SCENARIO, "-q", "-p", "no:randomly"]
        if args.only:
            command += ["-k", f"bench_{args.only}"]
        run = subprocess.run(command, cwd=ROOT, env=env, check=False)
        figures = json.loads(out.read_text()) if out.exists() else {}
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'} (pytest-django live server)")
    met = True
    if "scans" in figures:
        met &= _print_scans(figures["scans"])
    if "dropping" in figures:
        met &= _print_dropping(figures["dropping"])
    return 0 if run.returncode == 0 and figures else 1
