"""Dedup at scale: seconds, peak memory, candidate pairs, P/R/F1 at up to a million records.

The peer is the single-process path Sulh had before (a Python set of every candidate
pair, each compared unless already joined), run in the same process at ``--peer-size``
records beside the current path at that size; then the current path alone at
``--records``.

    python -m bench matching_dedup_scale [--records 1000000] [--peer-size 100000]
        [--no-peers] [--workers N] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable

from bench.matching_dedup import _grouped, _pairs, _prf
from sulh.matching.batch import _candidate_codes, _surviving_pairs, dedup
from sulh.matching.index import MAX_BLOCK, blocking_keys
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats, compare
from sulh.synth import generate_registry


def old_dedup(records: list[PersonRecord], threshold: float = 0.5) -> dict[str, str]:
    """Sulh's dedup as of 2026-11-23: one process, a global Python set of pair codes."""
    stats = NameStats.from_records(records)
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    blocks: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(i)
    codes: set[int] = set()
    size = len(records)
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    codes.add(members[x] * size + members[y])
    for code in sorted(codes):
        i, j = code // size, code % size
        if find(i) != find(j) and compare(records[i], records[j], stats=stats).score >= threshold:
            parent[find(i)] = find(j)
    first: dict[int, str] = {}
    return {r.record_id: first.setdefault(find(i), r.record_id) for i, r in enumerate(records)}


def _rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of the largest finished child (workers), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the workers)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(run: Callable[[], dict[str, str]]) -> tuple[dict[str, str], float, float]:
    started, cpu = time.perf_counter(), _cpu()
    result = run()
    return result, time.perf_counter() - started, _cpu() - cpu


_STARTED = [0.0]


def _progress(done: int, total: int) -> None:
    if done == total or done % 1_000_000 < 5000:
        seconds = time.perf_counter() - _STARTED[0]
        print(f"  {seconds:6.0f} s: compared {done:,}/{total:,} pairs", file=sys.stderr, flush=True)


def _registry(size: int, seed: int) -> tuple[list[PersonRecord], set[tuple[str, str]], float]:
    started = time.perf_counter()
    gc.disable()  # a million small dicts: the cyclic collector would only rescan them
    rows, truth = generate_registry(size, seed=seed)
    records = [PersonRecord(**row) for row in rows]
    del rows
    gc.enable()
    return records, _pairs(_grouped(truth)), time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench matching_dedup_scale")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--peer-size", type=int, default=100_000)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    header = f"{'records':>9} {'path':<22} {'cand. pairs':>11} {'compared':>10} "
    header += f"{'P':>6} {'R':>6} {'F1':>6} "
    print(header + f"{'seconds':>8} {'CPU s':>8} {'peak MB':>8} {'worker MB':>9}")

    def row(size: int, name: str, records: list[PersonRecord], truth: set, run: Callable) -> float:
        clusters, seconds, cpu = _timed(run)
        own, child = _rss_mb()
        precision, recall, f1 = _prf(truth, _pairs(_grouped(clusters)))
        codes = _candidate_codes(records)
        compared = len(_surviving_pairs(records, codes, 0.5)[0]) if name != "before" else len(codes)
        print(
            f"{size:>9,} {name:<22} {len(codes):>11,} {compared:>10,} "
            f"{precision:>6.3f} {recall:>6.3f} {f1:>6.3f} "
            f"{seconds:>8.1f} {cpu:>8.1f} {own:>8.0f} {child:>9.0f}",
            flush=True,
        )
        return seconds

    if not args.no_peers:
        records, truth, _ = _registry(args.peer_size, args.seed)
        before = row(args.peer_size, "before", records, truth, lambda: old_dedup(records))
        after = row(
            args.peer_size,
            "now",
            records,
            truth,
            lambda: dedup(records, workers=args.workers),
        )
        print(f"{args.peer_size:>9,} now vs before: time ratio {after / before:.2f}x", flush=True)
        del records, truth
    records, truth, generated = _registry(args.records, args.seed)
    print(f"{args.records:>9,} generated in {generated:.1f} s", flush=True)
    _STARTED[0] = time.perf_counter()
    row(
        args.records,
        "now",
        records,
        truth,
        lambda: dedup(records, workers=args.workers, progress=_progress),
    )
    return 0
