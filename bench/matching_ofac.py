"""Screening on the OFAC SDN alias sets (public data in ../shared/data), names only.

List: each SDN individual's primary name (4,643); queries: their alternate names
(a.k.a.), each of which should alert on its own entry and rank it first. False
alerts: the yente negatives screened against this list. Names only: the legacy CSV
keeps birth dates in free-text remarks and an alias has no date of its own (giving
it the entry's would hand the matcher the answer), so no date is used on either side.

Nothing in Sulh was tuned on these sets. The individuals are split by entity number
(even: half A, odd: half B) so that a later tuning can use half A and report half B;
both halves are printed. The peers (rapidfuzz, logic-v2) run on a sample of the
queries (``--queries``, every n-th alias of both halves) and of the negatives, with
Sulh's figures on the same sample beside them.

    python -m bench matching_ofac
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from bench.matching_screen import DATA as YENTE
from bench.matching_screen import _load, _peers, peers_wanted
from sulh.matching.batch import SCREEN_THRESHOLD
from sulh.matching.index import MatchIndex
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ofac_sdn_2022-01"
EMPTY = "-0-"


def _rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="latin-1", newline="") as handle:
        return [[cell.strip() for cell in row] for row in csv.reader(handle) if row]


def load_alias_sets() -> tuple[list[PersonRecord], list[tuple[str, PersonRecord]]]:
    """(list entries: one per individual; queries: (entry id, alias record) per a.k.a.).

    sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
    Tonnage, GRT, Vess_flag, Vess_owner, Remarks; alt.csv: ent_num, alt_num, alt_type,
    alt_name, alt_remarks. "-0-" is an empty cell.
    """
    listed = [
        PersonRecord(record_id=row[0], full_name=row[1])
        for row in _rows("sdn.csv")
        if row[2] == "individual" and row[1] != EMPTY
    ]
    known = {r.record_id for r in listed}
    queries = [
        (row[0], PersonRecord(record_id=f"A{row[1]}", full_name=row[3]))
        for row in _rows("alt.csv")
        if row[0] in known and row[2] == "aka" and row[3] != EMPTY
    ]
    return listed, queries


def _half(entry_id: str) -> str:
    return "A" if int(entry_id) % 2 == 0 else "B"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="bench matching_ofac")
    parser.add_argument("--negatives", type=int, default=50_000, help="negatives for Sulh")
    parser.add_argument("--peer-negatives", type=int, default=1000, help="negatives for the peers")
    parser.add_argument("--queries", type=int, default=1000, help="alias queries for the peers")
    parser.add_argument("--top", type=int, default=10, help="logic-v2's shortlist per query")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args(argv)
    if not DATA.exists() or not YENTE.exists():
        print(f"skipped: {DATA} or {YENTE} not found (the public data lives in ../shared/data)")
        return 0
    listed, queries = load_alias_sets()
    negatives = _load("negatives_global.csv", "N")[: args.negatives]
    index = MatchIndex(stats=NameStats.from_records(listed))
    index.extend(listed)

    def sulh(record: PersonRecord) -> list[str]:
        found = index.query(record, threshold=SCREEN_THRESHOLD, exclude_self=False, screening=True)
        return [c.record_id for c in found]

    started = time.perf_counter()
    answers = {record.record_id: sulh(record) for _, record in queries}
    alerted = {r.record_id for r in negatives if sulh(r)}
    seconds = time.perf_counter() - started
    print(
        f"{len(listed)} individuals (primary names), {len(queries)} a.k.a. queries, "
        f"{len(negatives)} yente negatives; names only"
    )
    print(f"{'matcher':<10} {'half':<5} {'queries':>8} {'alerted':>8} {'first':>7}")
    for half in ("A", "B"):
        part = [(e, r) for e, r in queries if _half(e) == half]
        hit = sum(1 for e, r in part if e in answers[r.record_id]) / len(part)
        first = sum(1 for e, r in part if answers[r.record_id][:1] == [e]) / len(part)
        print(f"{'sulh':<10} {half:<5} {len(part):>8} {hit:>8.3f} {first:>7.3f}")
    print(
        f"sulh false alerts {len(alerted) / len(negatives):.4f} ({len(alerted)}), {seconds:.1f} s"
    )
    if not peers_wanted(args.no_peers):
        return 0

    step = max(1, len(queries) // args.queries)
    sample = queries[::step][: args.queries]
    sample_negatives = negatives[: args.peer_negatives]
    position = {r.record_id: i for i, r in enumerate(listed)}
    peer_queries = [(r.record_id, r) for _, r in sample] + [
        (r.record_id, r) for r in sample_negatives
    ]
    peers = _peers(listed, peer_queries, top=args.top)
    print(
        f"\nside by side: {len(sample)} a.k.a. queries (every {step}th, both halves), "
        f"the first {len(sample_negatives)} negatives"
    )
    print(f"{'matcher':<10} {'alerted':>8} {'first':>7} {'false alerts':>13} {'seconds':>8}")
    hit = sum(1 for e, r in sample if e in answers[r.record_id])
    first = sum(1 for e, r in sample if answers[r.record_id][:1] == [e])
    wrong = sum(1 for r in sample_negatives if r.record_id in alerted)
    n, m = len(sample), len(sample_negatives)
    print(f"{'sulh':<10} {hit / n:>8.3f} {first / n:>7.3f} {wrong / m:>13.4f} {'':>8}")
    for name, (ranked, peer_seconds) in peers.items():
        hit = sum(
            1 for e, r in sample if any(i == position[e] for i, _ in ranked.get(r.record_id, ()))
        )
        first = sum(1 for e, r in sample if ranked.get(r.record_id, [(-1, 0)])[0][0] == position[e])
        wrong = sum(1 for r in sample_negatives if r.record_id in ranked)
        print(
            f"{name:<10} {hit / n:>8.3f} {first / n:>7.3f} {wrong / m:>13.4f} {peer_seconds:>8.1f}"
        )
    return 0
