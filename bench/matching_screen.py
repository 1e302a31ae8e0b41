"""Screening recall and false alerts on the yente UN fixtures (public data in ../shared/data).

List: the 683 UN persons as listed; queries: the same persons with mangled names and
shifted birth dates, row i matching entry i; false alerts: negatives with any hit.
SCREEN_PRIOR was chosen on the first half of the queries and the first 10,000
negatives; this reports the second half and the other 40,000.

    python -m bench matching_screen
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from sulh.matching.batch import SCREEN_THRESHOLD
from sulh.matching.index import MatchIndex
from sulh.matching.record import PersonRecord
from sulh.matching.score import NameStats

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "yente_screening_fixtures"


def _load(name: str, prefix: str) -> list[PersonRecord]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return [
            PersonRecord(
                record_id=f"{prefix}{i}",
                full_name=row["full_name"],
                birth_date=(row["date_of_birth"] or "")[:10],
                birth_place=row["place_of_birth"] or "",
            )
            for i, row in enumerate(csv.DictReader(handle))
        ]


def _roman(text: str) -> str:
    from anyascii import anyascii

    return " ".join(anyascii(text).lower().replace(",", " ").split())


def _years_compatible(a: str, b: str) -> bool:
    ya, yb = a[:4], b[:4]
    return not (ya.isdigit() and yb.isdigit()) or abs(int(ya) - int(yb)) <= 1


def peers_wanted(no_peers: bool) -> bool:
    """Whether to run the peers: asked for, and installed (they come with make bench)."""
    if no_peers:
        return False
    try:
        import nomenklatura  # noqa: F401
    except ImportError:
        print("the peers (nomenklatura, anyascii) come with make bench: skipped")
        return False
    return True


Ranked = dict[str, list[tuple[int, float]]]  # query id → (entry index, score), best first


def _peers(
    listed: list[PersonRecord],
    queries: list[tuple[str, PersonRecord]],
    *,
    top: int,
) -> dict[str, tuple[Ranked, float]]:
    """Each peer's hits at or above its threshold (best first, per query) and its time.

    rapidfuzz: token_sort_ratio >= 85 on romanised names against every year-compatible
    entry. logic-v2: OpenSanctions' scorer (threshold 0.7, its default) on the ``top``
    year-compatible entries by rapidfuzz WRatio, as a search engine would hand it
    candidates; it is too slow (about 30 ms a pair) to compare every pair.
    """
    from followthemoney import model
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig
    from rapidfuzz import fuzz, process

    names = [_roman(r.full_name) for r in listed]
    out: dict[str, tuple[Ranked, float]] = {}
    started, ranked = time.perf_counter(), {}
    shortlists: dict[str, list[int]] = {}
    for query_id, record in queries:
        allowed = [
            i for i, r in enumerate(listed) if _years_compatible(record.birth_date, r.birth_date)
        ]
        query = _roman(record.full_name)
        choices = {i: names[i] for i in allowed}
        found = process.extract(
            query, choices, scorer=fuzz.token_sort_ratio, limit=None, score_cutoff=85
        )
        if found:
            ranked[query_id] = [(key, score / 100) for _, score, key in found]
        shortlists[query_id] = [
            key for _, _, key in process.extract(query, choices, scorer=fuzz.WRatio, limit=top)
        ]
    out["rapidfuzz"] = (ranked, time.perf_counter() - started)

    algorithm, config = get_algorithm("logic-v2"), ScoringConfig.defaults()

    def entity(record: PersonRecord, prefix: str) -> object:
        proxy = model.make_entity("Person")
        proxy.id = prefix + record.record_id
        proxy.add("name", record.full_name)
        if record.birth_date:
            proxy.add("birthDate", record.birth_date)
        return proxy

    entries = [entity(r, "l") for r in listed]
    started, ranked = time.perf_counter(), {}
    for query_id, record in queries:
        proxy = entity(record, "q")
        scores = [
            (i, algorithm.compare(proxy, entries[i], config).score)  # type: ignore[arg-type]
            for i in shortlists[query_id]
        ]
        hits = sorted(((i, s) for i, s in scores if s >= 0.7), key=lambda h: (-h[1], h[0]))
        if hits:
            ranked[query_id] = hits
    out["logic-v2"] = (ranked, time.perf_counter() - started)
    return out


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="bench matching_screen")
    parser.add_argument("--negatives", type=int, default=1000, help="negatives for the peers")
    parser.add_argument("--top", type=int, default=10, help="logic-v2's shortlist per query")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} not found (the public fixtures live in ../shared/data)")
        return 0
    listed = _load("positives_un_untreated.csv", "L")
    treated = _load("positives_un_treated.csv", "Q")
    negatives = _load("negatives_global.csv", "N")
    index = MatchIndex(stats=NameStats.from_records(listed))
    index.extend(listed)
    held_out = list(enumerate(treated))[len(treated) // 2 :]
    started = time.perf_counter()
    found = sum(
        1
        for i, record in held_out
        if any(
            c.record_id == f"L{i}"
            for c in index.query(
                record, threshold=SCREEN_THRESHOLD, exclude_self=False, screening=True
            )
        )
    )
    alerts = sum(
        1
        for r in negatives[10_000:]
        if index.query(r, threshold=SCREEN_THRESHOLD, exclude_self=False, screening=True)
    )
    seconds = time.perf_counter() - started
    print(f"{'matcher':<8} {'recall (held-out treated)':>26} {'false alerts':>14} {'seconds':>8}")
    recall, false_alerts = found / len(held_out), alerts / len(negatives[10_000:])
    print(f"{'sulh':<8} {recall:>26.3f} {false_alerts:>14.4f} {seconds:>8.1f}")
    print(f"({len(held_out)} treated queries, {len(negatives) - 10_000} negatives)")
    if not peers_wanted(args.no_peers):
        return 0
    sample = negatives[10_000 : 10_000 + args.negatives]
    queries = [(f"T{i}", r) for i, r in held_out] + [(r.record_id, r) for r in sample]
    peers = _peers(listed, queries, top=args.top)
    sulh_sample = sum(
        1
        for r in sample
        if index.query(r, threshold=SCREEN_THRESHOLD, exclude_self=False, screening=True)
    )
    print(
        f"\nthe same {len(held_out)} treated queries, the first {len(sample)} of those negatives:"
    )
    print(f"{'matcher':<10} {'recall':>7} {'false alerts':>13} {'seconds':>8}")
    print(f"{'sulh':<10} {recall:>7.3f} {sulh_sample / len(sample):>13.4f} {'':>8}")
    for name, (ranked, seconds) in peers.items():
        right = sum(1 for i, _ in held_out if any(j == i for j, _ in ranked.get(f"T{i}", ())))
        wrong = sum(1 for r in sample if r.record_id in ranked)
        print(
            f"{name:<10} {right / len(held_out):>7.3f} {wrong / len(sample):>13.4f} {seconds:>8.1f}"
        )
    return 0
