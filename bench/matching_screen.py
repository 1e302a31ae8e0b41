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


def _peers(
    listed: list[PersonRecord],
    queries: list[tuple[str, PersonRecord]],
    *,
    top: int,
) -> dict[str, tuple[set[str], float]]:
    """Each peer's alerts (query ids with a hit at or above its threshold) and its time.

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
    out: dict[str, tuple[set[str], float]] = {}
    started, alerts = time.perf_counter(), set()
    shortlists: dict[str, list[int]] = {}
    for query_id, record in queries:
        allowed = [
            i for i, r in enumerate(listed) if _years_compatible(record.birth_date, r.birth_date)
        ]
        query = _roman(record.full_name)
        choices = {i: names[i] for i in allowed}
        for _, _, key in process.extract(
            query, choices, scorer=fuzz.token_sort_ratio, limit=None, score_cutoff=85
        ):
            alerts.add(f"{query_id}:{key}")
        shortlists[query_id] = [
            key
            for _, _, key in process.extract(
                query, {i: names[i] for i in allowed}, scorer=fuzz.WRatio, limit=top
            )
        ]
    out["rapidfuzz"] = (alerts, time.perf_counter() - started)

    algorithm, config = get_algorithm("logic-v2"), ScoringConfig.defaults()

    def entity(record: PersonRecord, prefix: str) -> object:
        proxy = model.make_entity("Person")
        proxy.id = prefix + record.record_id
        proxy.add("name", record.full_name)
        if record.birth_date:
            proxy.add("birthDate", record.birth_date)
        return proxy

    entries = [entity(r, "l") for r in listed]
    started, alerts = time.perf_counter(), set()
    hits: dict[str, set[int]] = {}
    for query_id, record in queries:
        proxy = entity(record, "q")
        for i in shortlists[query_id]:
            if algorithm.compare(proxy, entries[i], config).score >= 0.7:  # type: ignore[arg-type]
                alerts.add(f"{query_id}:{i}")
                hits.setdefault(query_id, set()).add(i)
    out["logic-v2"] = (alerts, time.perf_counter() - started)
    out["logic-v2 hits"] = ({f"{q}:{i}" for q, found in hits.items() for i in found}, 0.0)
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
    try:
        import nomenklatura  # noqa: F401
    except ImportError:
        args.no_peers = True
        print("the peers (nomenklatura, anyascii) come with make bench: skipped")
    if args.no_peers:
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
    logic_hits = peers.pop("logic-v2 hits")[0]
    for name, (alerts, seconds) in peers.items():
        if name == "logic-v2":
            right = sum(1 for i, _ in held_out if f"T{i}:{i}" in logic_hits)
        else:
            right = sum(1 for i, _ in held_out if f"T{i}:{i}" in alerts)
        alerted = {a.split(":")[0] for a in alerts}
        wrong = sum(1 for r in sample if r.record_id in alerted)
        print(
            f"{name:<10} {right / len(held_out):>7.3f} {wrong / len(sample):>13.4f} {seconds:>8.1f}"
        )
    return 0
