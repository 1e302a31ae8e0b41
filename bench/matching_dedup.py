"""Dedup on a generated mixed-script registry with known truth: Sulh vs a rapidfuzz baseline.

Both see the same candidate pairs (Sulh's blocking); the baseline links a pair when
rapidfuzz's token_sort_ratio of the full names is at least 85. Splink is the peer
the issue names; it is not wired in yet (docs/benchmarks.md says where that stands).

    python -m bench matching_dedup [--sizes 5000,30000] [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from itertools import combinations

from rapidfuzz import fuzz

from sulh.matching.batch import _candidate_pairs, dedup
from sulh.matching.record import PersonRecord
from sulh.synth import generate_registry


def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


def _grouped(mapping: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id, group in mapping.items():
        groups[group].append(record_id)
    return groups


def _prf(truth: set[tuple[str, str]], found: set[tuple[str, str]]) -> tuple[float, float, float]:
    hit = len(truth & found)
    precision = hit / len(found) if found else 0.0
    recall = hit / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _full(record: PersonRecord) -> str:
    return " ".join(
        p
        for p in (record.given_name, record.father_name, record.family_name, record.full_name)
        if p
    )


def baseline(records: list[PersonRecord]) -> dict[str, str]:
    parent = {r.record_id: r.record_id for r in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in _candidate_pairs(records):
        a, b = records[i], records[j]
        if fuzz.token_sort_ratio(_full(a), _full(b)) >= 85:
            parent[find(a.record_id)] = find(b.record_id)
    return {r.record_id: find(r.record_id) for r in records}


def _timed(run: Callable[[], dict[str, str]]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench matching_dedup")
    parser.add_argument("--sizes", default="5000,30000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'records':>8} {'matcher':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'seconds':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        rows, truth = generate_registry(size, seed=args.seed)
        records = [PersonRecord(**row) for row in rows]
        true_pairs = _pairs(_grouped(truth))
        sulh, sulh_time = _timed(lambda records=records: dedup(records))
        base, base_time = _timed(lambda records=records: baseline(records))
        sulh_prf = _prf(true_pairs, _pairs(_grouped(sulh)))
        base_prf = _prf(true_pairs, _pairs(_grouped(base)))
        for name, (p, r, f), seconds in (
            ("sulh", sulh_prf, sulh_time),
            ("rapidfuzz", base_prf, base_time),
        ):
            print(f"{size:>8} {name:<10} {p:>9.3f} {r:>7.3f} {f:>6.3f} {seconds:>8.1f}")
        gain = sulh_prf[2] - base_prf[2]
        print(
            f"{size:>8} sulh vs rapidfuzz: F1 {gain:+.3f}, time ratio {sulh_time / base_time:.1f}x"
        )
    return 0
