"""Learn the Arabic → Latin spelling model that ``translit.py`` loads.

    python -m sulh.matching.translit_build \
        ../shared/data/google_transliteration_ar2en/ar2en-train.txt

Origin of the shipped table (``data/translit_ar_lat.json``): the *train* split
(``ar2en-train.txt``, 12,877 pairs) of google/transliteration, Apache-2.0; the
eval split is never read here (``bench matching_translit`` reports on it). Only
the learned probabilities ship, no names.

Training is expectation-maximisation over all the ways each Latin spelling splits
into groups written by the Arabic letters (0 to 3 letters each) and by the gaps
between them (0 to 2 letters: unwritten vowels). Each letter's table is smoothed
towards the same letter anywhere in the word, and that towards any letters.
``--holdout N`` leaves out every N-th pair (for development on the train split).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from sulh.matching.normalize import ARABIC_RANGE, fold_arabic, fold_latin
from sulh.matching.translit import DATA, MAX_EMIT, MAX_INSERT

BETA = 2.0  # pull of a letter's place-specific table towards the letter anywhere
GAMMA = 1.0  # pull of a letter's table towards any letters
ITERATIONS = 10
PRUNE = 1e-4  # groups rarer than this under a letter are left to the unseen share


def _arabic_letters(text: str) -> str:
    return "".join(ch for ch in fold_arabic(text) if ARABIC_RANGE.match(ch))


def load_pairs(path: Path, holdout: int = 0) -> list[tuple[str, str]]:
    pairs = []
    for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if holdout and index % holdout == 0:
            continue
        arabic, _, latin = line.partition("\t")
        a = _arabic_letters(arabic)
        b = fold_latin(latin).replace(" ", "").replace("-", "")
        if a and b and re.fullmatch(r"[a-z]+", b) and len(a) <= 20:
            pairs.append((a, b))
    return pairs


def unit_keys(arabic: str) -> list[tuple[str, str]]:
    """("gap"|"letter", key) along the word: gap, letter, gap, ..., letter, gap."""
    n = len(arabic)
    keys = [("gap", "^")]
    for i, letter in enumerate(arabic):
        where = "^" if i == 0 else ("$" if i == n - 1 else "-")
        keys.append(("letter", letter + where))
        keys.append(("gap", letter + "$" if i == n - 1 else letter))
    return keys


def _any_letters(group: str, longest: int) -> float:
    return 26.0 ** -len(group) / (longest + 1)


Prob = Callable[[str, str, str], float]


def _expected_counts(
    pairs: list[tuple[str, str]], prob: Prob
) -> tuple[dict[tuple[str, str], dict[str, float]], float]:
    counts: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    loglik = 0.0
    for arabic, latin in pairs:
        keys = unit_keys(arabic)
        m = len(latin)
        steps = []  # per unit: list of (j, step, p)
        forward = [[0.0] * (m + 1) for _ in range(len(keys) + 1)]
        forward[0][0] = 1.0
        for k, (kind, key) in enumerate(keys):
            longest = MAX_INSERT if kind == "gap" else MAX_EMIT
            moves = []
            for j in range(m + 1):
                for step in range(min(longest, m - j) + 1):
                    p = prob(kind, key, latin[j : j + step])
                    if p > 0:
                        moves.append((j, step, p))
                        forward[k + 1][j + step] += forward[k][j] * p
            steps.append(moves)
        total = forward[len(keys)][m]
        if total <= 0:
            continue
        loglik += math.log(total)
        backward = [0.0] * (m + 1)
        backward[m] = 1.0
        for k in range(len(keys) - 1, -1, -1):
            kind, key = keys[k]
            before = [0.0] * (m + 1)
            for j, step, p in steps[k]:
                flow = forward[k][j] * p * backward[j + step]
                if flow > 0:
                    counts[(kind, key)][latin[j : j + step]] += flow / total
                    before[j] += p * backward[j + step]
            backward = before
    return counts, loglik


class Table:
    """Smoothed probabilities from expected counts."""

    def __init__(self, counts: dict[tuple[str, str], dict[str, float]]) -> None:
        self.counts = counts
        self.pooled: dict[tuple[str, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        for (kind, key), groups in counts.items():
            pool = key[:1] if kind == "letter" else "*"
            for group, c in groups.items():
                self.pooled[(kind, pool)][group] += c
        self.totals = {k: sum(v.values()) for k, v in counts.items()}
        self.pooled_totals = {k: sum(v.values()) for k, v in self.pooled.items()}

    def pooled_prob(self, kind: str, pool: str, group: str) -> float:
        longest = MAX_INSERT if kind == "gap" else MAX_EMIT
        c = self.pooled.get((kind, pool), {}).get(group, 0.0)
        total = self.pooled_totals.get((kind, pool), 0.0)
        return (c + GAMMA * _any_letters(group, longest)) / (total + GAMMA)

    def prob(self, kind: str, key: str, group: str) -> float:
        pool = key[:1] if kind == "letter" else "*"
        c = self.counts.get((kind, key), {}).get(group, 0.0)
        total = self.totals.get((kind, key), 0.0)
        return (c + BETA * self.pooled_prob(kind, pool, group)) / (total + BETA)

    def export(self) -> dict[str, object]:
        out: dict[str, dict[str, object]] = {"emit": {}, "insert": {}}
        keys = set(self.counts) | set(self.pooled)
        for kind, key in sorted(keys):
            pool = key[:1] if kind == "letter" else "*"
            total = self.totals.get((kind, key), 0.0)
            if (kind, key) in self.pooled and (kind, key) not in self.counts:
                # a pooled table on its own (the letter anywhere, or any gap)
                groups = self.pooled[(kind, key)]
                p = {g: self.pooled_prob(kind, key, g) for g in groups}
                unseen = GAMMA / (self.pooled_totals[(kind, key)] + GAMMA)
            else:
                groups = self.pooled[(kind, pool)]
                p = {g: self.prob(kind, key, g) for g in groups}
                unseen = BETA / (total + BETA) * GAMMA / (self.pooled_totals[(kind, pool)] + GAMMA)
            longest = MAX_INSERT if kind == "gap" else MAX_EMIT
            unseen /= longest + 1  # per length; the runtime spreads it over 26**length
            kept = {g: round(math.log(v), 3) for g, v in sorted(p.items()) if v >= PRUNE}
            section = "emit" if kind == "letter" else "insert"
            out[section][key] = {"p": kept, "u": round(math.log(unseen), 3)}
        return {
            "origin": "google/transliteration ar2en-train.txt (Apache-2.0), "
            "learned by sulh/matching/translit_build.py",
            "letter_floor": math.log(1e-6),
            **out,
        }


def _initial(kind: str, key: str, group: str) -> float:
    if kind == "gap":
        return (1.0, 0.3, 0.05)[len(group)]
    return (0.05, 1.0, 0.3, 0.05)[len(group)]


def train(pairs: list[tuple[str, str]], iterations: int = ITERATIONS) -> Table:
    prob: Prob = _initial
    table = None
    for iteration in range(iterations):
        counts, loglik = _expected_counts(pairs, prob)
        table = Table(counts)
        prob = table.prob
        print(f"iteration {iteration + 1}: log-likelihood per pair {loglik / len(pairs):.3f}")
    assert table is not None
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--holdout", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    args = parser.parse_args()
    if "eval" in args.train.name:
        raise SystemExit("the eval split is for reporting, not for training")
    pairs = load_pairs(args.train, args.holdout)
    print(f"{len(pairs)} pairs")
    table = train(pairs, args.iterations)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(table.export(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
