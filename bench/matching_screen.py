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


def main(argv: list[str]) -> int:
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
    print(
        f"({len(held_out)} treated queries, {len(negatives) - 10_000} negatives; peers not run yet)"
    )
    return 0
