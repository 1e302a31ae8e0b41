"""Estimating screening weights from the data at hand, as Fellegi and Sunter and Splink do.

For each comparison (birth date, mother's name, national number, birth place, whether
the whole name combination agrees) a pair falls in one level. The non-match agreement
rates ``u`` are counted on random pairs of registrant and list entry (almost all are two
people: Splink's ``estimate_u_using_random_sampling``); the match agreement rates ``m``
and the share of matches are found by expectation-maximisation over the candidate pairs
(those sharing a blocking key), with ``u`` held fixed and the comparisons taken as
independent given match status. A level's weight is log2(m / u). A comparison missing on
either side adds nothing (it is left out of the likelihood). No Django.

    python -m sulh.matching.estimate --list list.csv --input people.csv

prints each level's m, u and weight, and the counts they come from.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sulh.matching.index import MatchIndex, name_combinations
from sulh.matching.record import PersonRecord
from sulh.matching.score import (
    _list_birth,
    _weighed_similarity,
    national_id_feature,
    place_feature,
)
from sulh.matching.versions import CURRENT, ListBirthWeights, ModelVersion

# A level's index in its comparison, or None when missing on either side.
Levels = dict[str, int | None]

COMPARISONS: dict[str, tuple[str, ...]] = {
    "birth_date": ("same_date", "same_year", "year_apart", "years_apart"),
    "mother_name": ("same", "different"),
    "national_id": ("same", "near", "different"),
    "birth_place": ("same", "different"),
    "name_combination": ("three names", "other"),
}
_PROBE = ListBirthWeights(0.0, 1.0, 2.0, 3.0)  # each level's index as its weight


def levels(a: PersonRecord, b: PersonRecord) -> Levels:
    """The comparison levels of registrant ``a`` and list entry ``b``."""
    score, level, _ = _list_birth(a.birth_date, b.birth_date, _PROBE)
    birth = None if score < 0 else int(level)
    mother = _weighed_similarity(1.0, a.mother_name, b.mother_name)
    nid = national_id_feature(a.national_id, b.national_id)
    place = place_feature(a.birth_place, b.birth_place)
    shared = set(name_combinations(a)) & set(name_combinations(b))
    three = any(k.startswith("t:") for k in shared)
    return {
        "birth_date": birth,
        "mother_name": None if mother < 0 else (0 if mother >= 0.9 else 1),
        "national_id": (
            None if nid.score < 0 else 0 if nid.score == 1.0 else 1 if nid.score > 0.5 else 2
        ),
        "birth_place": None if place.score < 0 else (0 if place.weight > 0 else 1),
        "name_combination": 0 if three else 1,
    }


@dataclass(frozen=True)
class Estimate:
    share_matched: float  # among the candidate pairs
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    candidate_pairs: int
    random_pairs: int
    iterations: int

    def weight(self, comparison: str, level: int) -> float:
        return math.log2(self.m[comparison][level] / self.u[comparison][level])

    def weights(self) -> dict[str, dict[str, float]]:
        return {
            c: {name: round(self.weight(c, i), 2) for i, name in enumerate(names)}
            for c, names in COMPARISONS.items()
        }

    def list_birth(self, source: str) -> ListBirthWeights:
        w = self.weights()["birth_date"]
        return ListBirthWeights(
            w["same_date"], w["same_year"], w["year_apart"], w["years_apart"], source
        )


def _rates(rows: Sequence[Levels], comparison: str, weights: Sequence[float]) -> list[float]:
    size = len(COMPARISONS[comparison])
    totals = [0.5] * size  # a half-count each: no level's rate is zero
    for row, weight in zip(rows, weights, strict=True):
        level = row[comparison]
        if level is not None:
            totals[level] += weight
    whole = sum(totals)
    return [t / whole for t in totals]


def _start(u: list[float]) -> list[float]:
    """A first m: agreement likely (0.9 for the agreeing levels, shared by all but the
    last), disagreement (the last level) 0.1."""
    agreeing = len(u) - 1
    return [0.9 / agreeing] * agreeing + [0.1]


def estimate(
    entries: Sequence[PersonRecord],
    records: Sequence[PersonRecord],
    *,
    model: ModelVersion = CURRENT,
    random_pairs: int = 200_000,
    iterations: int = 30,
    seed: int = 0,
    leave_out: Sequence[str] = (),
) -> Estimate:
    """m, u and the share of matches for the screening comparisons on this list and
    registry: u from ``random_pairs`` random pairs, m by EM over the candidate pairs."""
    rng = random.Random(seed)
    sample = [
        levels(records[rng.randrange(len(records))], entries[rng.randrange(len(entries))])
        for _ in range(random_pairs)
    ]
    u = {c: _rates(sample, c, [1.0] * len(sample)) for c in COMPARISONS}
    index = MatchIndex(model=model)
    index.extend(entries)
    # As Splink trains on pairs blocked by a rule and leaves the rule's own comparison out:
    # the pairs that share given, father's and family names (namesakes and the same
    # person), weighed by everything but the names.
    rows = []
    for record in records:
        for entry_id in sorted(index.candidate_ids(record, exclude_self=False)):
            found = levels(record, index.records[entry_id])
            if found["name_combination"] == 0:
                found["name_combination"] = None
                found.update({c: None for c in leave_out})
                rows.append(found)
    share = 0.05
    m = {c: _start(u[c]) for c in COMPARISONS}  # a start that favours agreement
    for _ in range(iterations):
        posterior = []
        for row in rows:
            odds = math.log(share / (1 - share))
            for c, level in row.items():
                if level is not None:
                    odds += math.log(m[c][level] / u[c][level])
            posterior.append(1.0 / (1.0 + math.exp(-max(min(odds, 50.0), -50.0))))
        share = min(max(sum(posterior) / len(posterior), 1e-6), 1 - 1e-6)
        m = {c: _rates(rows, c, posterior) for c in COMPARISONS}
    return Estimate(share, m, u, len(rows), len(sample), iterations)


def main(argv: list[str] | None = None) -> int:
    from sulh.matching.batch import read_people_csv
    from sulh.matching.unsc import read_list_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", required=True, type=Path, dest="list_file")
    ap.add_argument("--input", required=True, type=Path)
    ap.add_argument("--random-pairs", type=int, default=200_000)
    ap.add_argument("--leave-out", nargs="*", default=[], choices=sorted(COMPARISONS))
    args = ap.parse_args(argv)
    entries, _ = read_list_file(args.list_file)
    records, _ = read_people_csv(args.input)
    found = estimate(entries, records, random_pairs=args.random_pairs, leave_out=args.leave_out)
    print(
        json.dumps(
            {
                "candidate_pairs": found.candidate_pairs,
                "random_pairs": found.random_pairs,
                "share_matched": round(found.share_matched, 4),
                "m": {c: [round(x, 4) for x in v] for c, v in found.m.items()},
                "u": {c: [round(x, 4) for x in v] for c, v in found.u.items()},
                "weights": found.weights(),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
