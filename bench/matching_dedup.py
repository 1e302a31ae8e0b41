"""Dedup on a generated mixed-script registry with known truth: Sulh against two peers.

- Splink 4 (DuckDB), a reasonable off-the-shelf Fellegi-Sunter configuration: names
  romanised with anyascii (Arabic script has no Latin letters otherwise), Jaro-Winkler
  on each name part, birth date and national number, blocking on family name, given
  name with birth year, and national number; u by random sampling, m by EM; linked
  at match probability 0.9 and clustered.
- A rapidfuzz baseline on Sulh's own candidate pairs (token_sort_ratio ≥ 85).

    python -m bench matching_dedup [--sizes 5000,30000] [--seed 7] [--no-splink]

Splink comes with ``make bench`` (requirements-bench.lock); without it that row is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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


def splink_dedup(records: list[PersonRecord]) -> dict[str, str]:
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from anyascii import anyascii
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)

    def roman(text: str) -> str | None:
        text = " ".join(anyascii(text or "").lower().replace("-", " ").split())
        return text or None

    frame = pd.DataFrame(
        [
            {
                "unique_id": r.record_id,
                "given": roman(r.given_name),
                "father": roman(r.father_name),
                "family": roman(r.family_name),
                "mother": roman(r.mother_name),
                "birth_date": r.birth_date or None,
                "birth_year": r.birth_date[:4] or None,
                "national_id": r.national_id or None,
            }
            for r in records
        ]
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("father", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("family", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("mother", [0.92, 0.8]),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
            cl.LevenshteinAtThresholds("national_id", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family"),
            block_on("given", "birth_year"),
            block_on("national_id"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frame, settings, db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("national_id"), block_on("given", "family", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("family"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    ).as_pandas_dataframe()
    found = dict(
        zip(clusters["unique_id"].astype(str), clusters["cluster_id"].astype(str), strict=True)
    )
    return {r.record_id: found.get(r.record_id, r.record_id) for r in records}


def _timed(run: Callable[[], dict[str, str]]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench matching_dedup")
    parser.add_argument("--sizes", default="5000,30000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args(argv)
    try:
        import splink  # noqa: F401
    except ImportError:
        args.no_splink = True
        print("Splink is not installed (make bench installs it): its row is skipped")
    print(f"{'records':>8} {'matcher':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'seconds':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        rows, truth = generate_registry(size, seed=args.seed)
        records = [PersonRecord(**row) for row in rows]
        true_pairs = _pairs(_grouped(truth))
        sulh, sulh_time = _timed(lambda records=records: dedup(records))
        base, base_time = _timed(lambda records=records: baseline(records))
        sulh_prf = _prf(true_pairs, _pairs(_grouped(sulh)))
        base_prf = _prf(true_pairs, _pairs(_grouped(base)))
        rows_out = [("sulh", sulh_prf, sulh_time), ("rapidfuzz", base_prf, base_time)]
        if not args.no_splink:
            quiet = io.StringIO()  # Splink narrates its training
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                peer, peer_time = _timed(lambda records=records: splink_dedup(records))
            peer_prf = _prf(true_pairs, _pairs(_grouped(peer)))
            rows_out.append(("splink", peer_prf, peer_time))
        for name, (p, r, f), seconds in rows_out:
            print(f"{size:>8} {name:<10} {p:>9.3f} {r:>7.3f} {f:>6.3f} {seconds:>8.1f}")
        if not args.no_splink:
            print(
                f"{size:>8} sulh vs splink: F1 {sulh_prf[2] - peer_prf[2]:+.3f}, "
                f"time ratio {sulh_time / peer_time:.2f}x"
            )
        gain = sulh_prf[2] - base_prf[2]
        print(
            f"{size:>8} sulh vs rapidfuzz: F1 {gain:+.3f}, time ratio {sulh_time / base_time:.1f}x"
        )
    return 0
