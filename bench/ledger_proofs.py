"""Public proofs at 1,000,000 leaves (target: <= 5 ms of server time each, an invalid
request no dearer than a valid one).

Set-up (not timed): a million generated commitment leaves inserted into a fresh database
(SQLite in a temporary data folder, or a scratch PostgreSQL database). Then, in one
process:

1. ``tree_extend`` over the million (the stored levels built in bulk), one more day of
   leaves extended incrementally, and ``tree_head_sign`` (which extends, then signs);
2. per request, through the HTTP API (Django's test client: routing, the rate limit, the
   head lookup, the proof, JSON): inclusion and consistency proofs, uncached (the cache
   cleared before each) and cached, and invalid requests (an index beyond the head, a
   size that is no published head's);
3. the peer, the whole-table path this replaced (every leaf hash read, then
   ``sulh.ledger.merkle``'s proofs over them), valid and invalid, in the same process.

    python -m bench ledger_proofs [--leaves 1000000] [--requests 200] [--postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sulh.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_hashes,
    verify_consistency,
    verify_inclusion,
)


def _leaf(index: int) -> bytes:
    commitment = hashlib.sha256(f"bench-{index}".encode()).hexdigest()
    return json.dumps({"commitment": commitment, "program": "bench"}, sort_keys=True).encode()


def _insert(start: int, count: int) -> None:
    from sulh.ledger.models import LedgerHead, LedgerLeaf

    batch = 20_000
    for first in range(start, start + count, batch):
        rows = []
        for index in range(first, min(first + batch, start + count)):
            leaf = _leaf(index)
            rows.append(
                LedgerLeaf(index=index, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex())
            )
        LedgerLeaf.objects.bulk_create(rows)
    LedgerHead.objects.update_or_create(name="default", defaults={"size": start + count})


def _old_hashes(size: int | None) -> list[bytes]:
    """The whole-table read the proofs used to make (services._hashes before the levels)."""
    from sulh.core.errors import ValidationFailed
    from sulh.ledger.models import LedgerLeaf

    total = LedgerLeaf.objects.count()
    size = total if size is None else size
    if not 0 < size <= total:
        raise ValidationFailed(f"give a size from 1 to {total}", field="size")
    rows = LedgerLeaf.objects.filter(index__lt=size).order_by("index")
    return [bytes.fromhex(h) for h in rows.values_list("leaf_hash", flat=True)]


def _old_inclusion(index: int, size: int) -> dict[str, Any]:
    from sulh.core.errors import ValidationFailed
    from sulh.ledger.models import LedgerLeaf

    hashes = _old_hashes(size)
    if not 0 <= index < len(hashes):
        raise ValidationFailed(f"no leaf {index} in a tree of {len(hashes)}", field="index")
    return {
        "leaf": LedgerLeaf.objects.get(index=index).leaf,
        "root_hash": root_from_hashes(hashes).hex(),
        "proof": [h.hex() for h in inclusion_proof(index, hashes)],
    }


def _old_consistency(old: int, size: int) -> dict[str, Any]:
    hashes = _old_hashes(size)
    return {
        "old_root_hash": root_from_hashes(hashes[:old]).hex(),
        "root_hash": root_from_hashes(hashes).hex(),
        "proof": [h.hex() for h in consistency_proof(old, hashes)],
    }


Timing = tuple[list[float], list[float]]  # wall seconds, CPU seconds of this process


def _timed(
    call: Callable[[], Any], times: int, *, before: Callable[[], Any] | None = None
) -> Timing:
    wall, cpu = [], []
    for _ in range(times):
        if before is not None:
            before()
        started, used = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return wall, cpu


def _ms(timing: Timing) -> str:
    wall, cpu = sorted(timing[0]), timing[1]
    p95 = wall[min(len(wall) - 1, int(0.95 * len(wall)))]
    return (
        f"{1000 * statistics.median(wall):>9.2f} {1000 * p95:>9.2f} "
        f"{1000 * statistics.median(cpu):>9.2f}"
    )


def _median(timing: Timing) -> float:
    return statistics.median(timing[0])


def _run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from sulh.keys.keyring import keyring_create
    from sulh.ledger.services import (
        ledger_consistency_proof,
        ledger_inclusion_proof,
        tree_head_sign,
    )
    from sulh.ledger.tree import tree_extend

    keyring_create()  # the bench site's keys, as `sulh keyring init` makes them
    call_command("migrate", verbosity=0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # each 422 would print
    settings.SULH_RATE_PROOFS = 10**9  # the limit is not what is measured
    settings.ALLOWED_HOSTS = ["*"]
    print(f"database: {connection.vendor}; leaves: {args.leaves:,}", flush=True)
    started = time.perf_counter()
    _insert(0, args.leaves)
    print(f"(set-up, not timed: inserting the leaves took {time.perf_counter() - started:.1f} s)")

    print(f"\n{'building the levels':<58} {'seconds':>9}")
    started = time.perf_counter()
    covered = tree_extend()
    print(f"{'tree_extend over every leaf (bulk)':<58} {time.perf_counter() - started:>9.2f}")
    assert covered == args.leaves
    _insert(args.leaves, args.day)
    started = time.perf_counter()
    tree_extend()
    print(f"{f'tree_extend over {args.day:,} new leaves (incremental)':<58}", end="")
    print(f" {time.perf_counter() - started:>9.3f}")
    _insert(args.leaves + args.day, args.day)
    started = time.perf_counter()
    head = tree_head_sign()
    print(f"{f'tree_head_sign ({args.day:,} more leaves, extend and sign)':<58}", end="")
    print(f" {time.perf_counter() - started:>9.3f}")
    size, root = head.size, bytes.fromhex(head.root_hash)
    _insert(size, 10)  # logged, not published

    rng = random.Random(7)
    client = Client()

    def get(path: str, status: int) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            assert response.status_code == status, (path, response.content[:200])
            return response

        return call

    indexes = [rng.randrange(size) for _ in range(args.requests)]
    olds = [rng.randrange(1, size) for _ in range(args.requests)]
    # Every answer verifies (checked once each on a sample, outside the timings).
    for index in indexes[:20]:
        answer = get(f"/api/ledger/proof/inclusion?index={index}", 200)().json()
        proof = [bytes.fromhex(h) for h in answer["proof"]]
        assert verify_inclusion(leaf_hash(answer["leaf"].encode()), index, size, proof, root)
    for old in olds[:20]:
        answer = get(f"/api/ledger/proof/consistency?old={old}", 200)().json()
        proof = [bytes.fromhex(h) for h in answer["proof"]]
        assert verify_consistency(old, size, bytes.fromhex(answer["old_root_hash"]), root, proof)

    it = iter(indexes)
    olds_it = iter(olds)
    service_it = iter(indexes)
    service_olds = iter(olds)
    rows: list[tuple[str, Timing]] = [
        (
            "inclusion, uncached",
            _timed(
                lambda: get(f"/api/ledger/proof/inclusion?index={next(it)}", 200)(),
                args.requests,
                before=cache.clear,
            ),
        ),
        (
            "consistency, uncached",
            _timed(
                lambda: get(f"/api/ledger/proof/consistency?old={next(olds_it)}", 200)(),
                args.requests,
                before=cache.clear,
            ),
        ),
        (
            "inclusion, cached",
            _timed(get(f"/api/ledger/proof/inclusion?index={indexes[0]}", 200), args.requests),
        ),
        (
            "consistency, cached",
            _timed(get(f"/api/ledger/proof/consistency?old={olds[0]}", 200), args.requests),
        ),
        (
            "invalid: inclusion index beyond the head",
            _timed(get(f"/api/ledger/proof/inclusion?index={size + 5}", 422), args.requests),
        ),
        (
            "invalid: inclusion, size of no published head",
            _timed(
                get(f"/api/ledger/proof/inclusion?index=1&size={size + 10}", 422), args.requests
            ),
        ),
        (
            "invalid: consistency old beyond the head",
            _timed(get(f"/api/ledger/proof/consistency?old={size + 5}", 422), args.requests),
        ),
    ]
    header = f"{'median':>9} {'p95':>9} {'CPU med':>9}"
    print(f"\n{'per request through the HTTP API (ms)':<58} {header}")
    for name, timing in rows:
        print(f"{name:<58} {_ms(timing)}")
    service = [
        (
            "ledger_inclusion_proof, uncached",
            _timed(
                lambda: ledger_inclusion_proof(index=next(service_it)),
                args.requests,
                before=cache.clear,
            ),
        ),
        (
            "ledger_consistency_proof, uncached",
            _timed(
                lambda: ledger_consistency_proof(old=next(service_olds)),
                args.requests,
                before=cache.clear,
            ),
        ),
    ]
    print(f"\n{'the service alone, no HTTP nor rate limit (ms)':<58} {header}")
    for name, timing in service:
        print(f"{name:<58} {_ms(timing)}")

    print(f"\n{'peer: the whole-table path, same process (ms)':<58} {header}")
    old_inclusion = _timed(lambda: _old_inclusion(indexes[0], size), args.peer_requests)
    old_consistency = _timed(lambda: _old_consistency(olds[0], size), args.peer_requests)

    def old_invalid() -> None:
        with contextlib.suppress(Exception):
            _old_inclusion(size + 5, size)

    old_bad = _timed(old_invalid, args.peer_requests)
    print(f"{'old inclusion (read every hash, merkle.py)':<58} {_ms(old_inclusion)}")
    print(f"{'old consistency (read every hash, merkle.py)':<58} {_ms(old_consistency)}")
    print(f"{'old invalid index (read every hash, then refuse)':<58} {_ms(old_bad)}")
    assert (
        _old_inclusion(indexes[0], size)["proof"]
        == (get(f"/api/ledger/proof/inclusion?index={indexes[0]}", 200)().json()["proof"])
    )

    new_inclusion, new_consistency = _median(rows[0][1]), _median(rows[1][1])
    worst_invalid = max(_median(timing) for _, timing in rows[4:])
    print(
        f"\nold / new (medians, uncached): inclusion "
        f"{_median(old_inclusion) / new_inclusion:,.0f}x, consistency "
        f"{_median(old_consistency) / new_consistency:,.0f}x, invalid index "
        f"{_median(old_bad) / _median(rows[4][1]):,.0f}x"
    )
    print(
        f"target <= 5 ms each at {size:,} leaves: inclusion {1000 * new_inclusion:.2f} ms, "
        f"consistency {1000 * new_consistency:.2f} ms; the dearest invalid request "
        f"{1000 * worst_invalid:.2f} ms (valid, uncached, "
        f"{1000 * min(new_inclusion, new_consistency):.2f} ms); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench ledger_proofs")
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--day", type=int, default=1_000, help="leaves of an incremental day")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--peer-requests", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true", help="a scratch PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sulh-bench-") as folder:
        os.environ["SULH_DATA_DIR"] = str(Path(folder) / "data")
        os.environ.pop("DATABASE_URL", None)
        scratch: Any = contextlib.nullcontext("")
        if args.postgresql:
            from tests.trust.live_server import pg_scratch_database

            scratch = pg_scratch_database("sulh_bench_tree")
        with scratch as database_url:
            if database_url:
                os.environ["DATABASE_URL"] = database_url
            from sulh.core.setup import setup_django

            setup_django()
            status = _run(args)
            from django.db import connections

            connections.close_all()  # before the scratch database is dropped
            return status
