"""Name-only similarity on nomenklatura's name_bench, against OpenSanctions' logic-v2.

python -m bench matching_names

The cases are persons, companies, organisations and vessels, in many scripts. Sulh's
threshold is chosen on the even rows and measured on the odd ones; logic-v2's frozen
predictions (its own run, threshold 0.7, shipped with the data) are scored on the same
rows. Both are also shown on all rows (Sulh's threshold from the even rows).
"""

from __future__ import annotations

import csv
from pathlib import Path

from sulh.matching.score import name_similarity

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nomenklatura_name_bench"


def _f1(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(1 for p, t in pairs if p and t)
    fp = sum(1 for p, t in pairs if p and not t)
    fn = sum(1 for p, t in pairs if not p and t)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main(argv: list[str]) -> int:
    if not (DATA / "cases.csv").exists():
        print(f"skipped: {DATA} is not here (it comes with ../shared/data)")
        return 0
    with (DATA / "logicv2-frozen.csv").open(encoding="utf-8") as handle:
        frozen = {
            (r["name1"], r["name2"]): r["predicted_match"] == "true" for r in csv.DictReader(handle)
        }
    with (DATA / "cases.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if (r["name1"], r["name2"]) in frozen]
    scored = [(name_similarity(r["name1"], r["name2"]), r["is_match"] == "true", r) for r in rows]
    train, test = scored[0::2], scored[1::2]
    threshold = max(
        (t / 100 for t in range(70, 99)),
        key=lambda t: _f1([(s >= t, truth) for s, truth, _ in train])[2],
    )
    print(f"{'rows':<22} {'matcher':<26} {'precision':>9} {'recall':>7} {'F1':>6}")
    for label, part in (("held-out (odd rows)", test), ("all rows", scored)):
        for name, pairs in (
            (f"Sulh (threshold {threshold:.2f})", [(s >= threshold, t) for s, t, _ in part]),
            ("logic-v2 (frozen run)", [(frozen[(r["name1"], r["name2"])], t) for _, t, r in part]),
        ):
            p, r, f = _f1(pairs)
            print(f"{label:<22} {name:<26} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    persons = [x for x in scored if x[2]["schema"] == "Person"]
    p, r, f = _f1([(s >= threshold, t) for s, t, _ in persons])
    lp, lr, lf = _f1([(frozen[(x["name1"], x["name2"])], t) for _, t, x in persons])
    print(f"{'persons only':<22} {'Sulh':<26} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    print(f"{'persons only':<22} {'logic-v2 (frozen run)':<26} {lp:>9.3f} {lr:>7.3f} {lf:>6.3f}")
    print(f"cases: {len(rows)} ({len(persons)} persons); target: F1 above logic-v2's 0.790")
    return 0
