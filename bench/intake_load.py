"""Sustained registrations through the HTTP API against the real server, with a bare peer loop.

python -m bench intake_load [--seconds 30] [--rounds 3] [--clients 8] [--workers 3]
                            [--preload 5000] [--backends sqlite,postgresql]

For each database in turn: a fresh installation (scratch data folder; for
PostgreSQL a scratch database on 127.0.0.1, dropped afterwards), a registry
pre-loaded with generated people through the intake service (so online matching
has candidates to score), then gunicorn (``sulh serve``) on a loopback port
driven by N concurrent clients posting intakes of new generated people (one in
twenty a re-registration of a pre-loaded person, written anew) for a bounded
time. The peer, in the same run against the same server, is a bare
``GET /healthz`` loop (one ``SELECT 1``) run before, between and after the
rounds of intakes: the ratio (median over rounds, each against the healthz rate
around it) shows how far an intake is from a round trip through the same stack,
and the healthz rates show how much the shared machine drifted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.trust.live_server import (
    PROGRAM,
    PROGRAMS_DIR,
    Installation,
    Server,
    get,
    intake_payload,
    intake_payloads,
    pg_reachable,
    pg_scratch_database,
    post_intake,
)

STATIONS = ("ld1", "ld2", "ld3", "ld4")
TIMEOUT = 30
TARGET_RATE = 100.0
TARGET_P99_MS = 200.0


@dataclass
class Loop:
    ok: int = 0
    errors: int = 0
    first_error: str = ""
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def _drive(work: Callable[[int], tuple[int, Any]], *, clients: int, seconds: float) -> Loop:
    """``clients`` threads call ``work`` back to back until the time is up."""
    result = Loop()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, body = work(index)
            except (OSError, http.client.HTTPException, StopIteration) as exc:
                status, body = 0, repr(exc)
            took = time.perf_counter() - started
            with lock:
                if 200 <= status < 300:
                    result.ok += 1
                    result.latencies.append(took)
                else:
                    result.errors += 1
                    result.first_error = result.first_error or f"{status} {body!r:.300}"
                    if status == 0 and "StopIteration" in str(body):
                        return

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + TIMEOUT + 5)
    result.seconds = time.perf_counter() - started
    return result


def _load_payloads(n: int, *, preloaded: int, seed: int) -> Iterator[dict[str, Any]]:
    """New generated people; one in twenty a pre-loaded person registering again."""
    from sulh.programs.loader import load_program
    from sulh.synth import generate_people

    definition = load_program(PROGRAMS_DIR / f"{PROGRAM}.yaml")
    rng = random.Random(seed)
    known = generate_people(preloaded, seed=seed) if preloaded else []
    fresh = generate_people(n, seed=seed + 1)
    for i, person in enumerate(fresh):
        if known and rng.random() < 0.05:
            person = rng.choice(known)
        yield intake_payload(person, rng=rng, definition=definition, key=f"load-{seed}-{i:07d}")


@dataclass
class Run:
    backend: str
    preloaded: int
    preload_seconds: float
    intakes: Loop
    peer: list[Loop]
    ratio: float  # median over rounds of intakes/s ÷ the healthz rate around that round
    candidates: int


def _run_backend(backend: str, args: argparse.Namespace) -> Run:
    scratch = pg_scratch_database("sulh_bench") if backend == "postgresql" else None
    with (
        tempfile.TemporaryDirectory(prefix="sulh-bench-") as folder,
        scratch or contextlib.nullcontext("") as database_url,
    ):
        installation = Installation(Path(folder), database_url)
        tokens = installation.prepare(stations=STATIONS)
        print(f"[{backend}] pre-loading {args.preload} generated people …", flush=True)
        started = time.perf_counter()
        if args.preload:
            installation.task(
                "register",
                {
                    "clerk": f"clerk-{STATIONS[0]}",
                    "payloads": intake_payloads(
                        args.preload, seed=args.seed, key_prefix=f"preload-{args.seed}"
                    ),
                    "batch": 250,
                },
                timeout=3600,
            )
        preload_seconds = time.perf_counter() - started
        payloads = _load_payloads(
            int(args.seconds * 400) + 500, preloaded=args.preload, seed=args.seed
        )
        lock = threading.Lock()

        def intake(index: int) -> tuple[int, Any]:
            with lock:
                payload = next(payloads)
            token = tokens[STATIONS[index % len(STATIONS)]]
            return post_intake(server.port, payload, token=token, timeout=TIMEOUT)

        def healthz(index: int) -> tuple[int, Any]:
            return get(server.port, "/healthz", timeout=TIMEOUT)

        with Server(installation, workers=args.workers) as server:
            print(f"[{backend}] serving on 127.0.0.1:{server.port}, measuring …", flush=True)
            _drive(intake, clients=args.clients, seconds=2)  # warm every worker
            # Interleaved: peer, intakes, peer, intakes, …, peer; the machine is shared.
            peer = [_drive(healthz, clients=args.clients, seconds=args.peer_seconds)]
            rounds = []
            for _ in range(args.rounds):
                rounds.append(
                    _drive(intake, clients=args.clients, seconds=args.seconds / args.rounds)
                )
                peer.append(_drive(healthz, clients=args.clients, seconds=args.peer_seconds))
        ((candidates,),) = installation.query("SELECT COUNT(*) FROM matching_matchcandidate")
    ratios = [
        load.rate / statistics.mean((before.rate, after.rate))
        for load, before, after in zip(rounds, peer, peer[1:], strict=False)
    ]
    intakes = Loop(
        ok=sum(r.ok for r in rounds),
        errors=sum(r.errors for r in rounds),
        first_error=next((r.first_error for r in rounds if r.first_error), ""),
        latencies=[t for r in rounds for t in r.latencies],
        seconds=sum(r.seconds for r in rounds),
    )
    return Run(
        backend, args.preload, preload_seconds, intakes, peer, statistics.median(ratios),
        int(candidates),
    )  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench intake_load")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the intake run")
    parser.add_argument("--peer-seconds", type=float, default=3.0, help="each healthz run")
    parser.add_argument("--rounds", type=int, default=3, help="intake runs between healthz runs")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2-4)")
    parser.add_argument("--preload", type=int, default=5000, help="people registered first")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args(argv)
    runs = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "postgresql" and not pg_reachable():
            print("[postgresql] skipped: the server on 127.0.0.1:5432 is not reachable")
            continue
        if backend not in {"sqlite", "postgresql"}:
            print(f"unknown backend {backend!r}; known: sqlite, postgresql")
            return 2
        runs.append(_run_backend(backend, args))
    print(
        f"\n{args.clients} clients, {args.workers} gunicorn workers, "
        f"{args.seconds:.0f} s of intakes in {args.rounds} rounds between "
        f"{args.peer_seconds:.0f} s healthz runs"
    )
    header = (
        f"{'database':<11} {'registry':>8} {'intakes/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'healthz/s':>9} {'ratio':>6}"
    )
    print(header)
    status = 0
    for run in runs:
        peer_rate = statistics.mean(loop.rate for loop in run.peer)
        load = run.intakes
        print(
            f"{run.backend:<11} {run.preloaded:>8} {load.rate:>9.1f} {load.percentile(50):>7.0f} "
            f"{load.percentile(99):>7.0f} {load.errors:>6} {peer_rate:>9.0f} "
            f"{run.ratio:>6.3f}"
        )
    for run in runs:
        load = run.intakes
        print(
            f"{run.backend}: pre-load {run.preload_seconds:.0f} s; {load.ok} intakes in "
            f"{load.seconds:.1f} s; healthz runs {', '.join(f'{p.rate:.0f}/s' for p in run.peer)}; "
            f"{run.candidates} duplicate/list candidates opened"
        )
        if load.first_error:
            print(f"{run.backend}: first error: {load.first_error}")
            status = 1
        met = load.rate >= TARGET_RATE and load.percentile(99) <= TARGET_P99_MS
        target = f"≥ {TARGET_RATE:.0f} intakes/s with p99 ≤ {TARGET_P99_MS:.0f} ms"
        print(f"{run.backend}: target {target} {'met' if met else 'NOT met'}")
    return status
