"""Arabic-script name -> the right Latin spelling ranked first (Google's transliteration
pairs, eval split: mostly foreign names written in Arabic script).

python -m bench matching_translit

Every Arabic name is compared with every Latin spelling of the split; a hit is the right
spelling alone at the top (a tie with another spelling counts as a miss). In the same run:
Sulh without the learned spelling model (sulh/matching/translit.py, learned from the
train split only), and the consonant skeleton alone (without the written vowels).
"""

from __future__ import annotations

import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from sulh.matching import score as scoring
from sulh.matching.normalize import name_skeletons
from sulh.matching.score import name_similarity

DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "google_transliteration_ar2en"
)


def _skeleton_only(a: str, b: str) -> float:
    return Levenshtein.normalized_similarity("".join(name_skeletons(a)), "".join(name_skeletons(b)))


def _without_model(a: str, b: str) -> float:
    return scoring.name_similarity.__wrapped__(a, b)  # type: ignore[attr-defined, no-any-return]


def _top1(pairs: list[tuple[str, str]], score) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    latins = sorted({latin for _, latin in pairs})
    started, hits = time.perf_counter(), 0
    for arabic, latin in pairs:
        ranked = sorted(((score(arabic, other), other) for other in latins), reverse=True)
        hits += ranked[0][1] == latin and (len(ranked) == 1 or ranked[1][0] < ranked[0][0])
    return hits / len(pairs), time.perf_counter() - started


def main(argv: list[str]) -> int:
    path = DATA / "ar2en-eval.txt"
    if not path.exists():
        print(f"skipped: {path} is not here (it comes with ../shared/data)")
        return 0
    pairs = [
        (a, b)
        for a, b in (line.rstrip("\n").split("\t", 1) for line in path.open(encoding="utf-8"))
    ]
    gate = scoring.SPELLING_GATE
    print(f"{'matcher':<40} {'top-1':>7} {'seconds':>8}")
    for name, score in (
        ("Sulh name_similarity", name_similarity),
        ("Sulh without the learned model", _without_model),
        ("consonant skeleton alone (same run)", _skeleton_only),
    ):
        off = score is _without_model
        scoring.SPELLING_GATE = 9.0 if off else gate  # 9: never reached, no model consulted
        scoring.token_similarity.cache_clear()
        accuracy, seconds = _top1(pairs, score)
        print(f"{name:<40} {accuracy:>7.3f} {seconds:>8.1f}")
    print(f"{len(pairs)} Arabic-script names, each against all {len({b for _, b in pairs})} "
          "Latin spellings; target: >= 0.90")  # fmt: skip
    scoring.SPELLING_GATE = gate
    scoring.token_similarity.cache_clear()
    return 0
