"""Model versions are declared data: every version runs by name, results name their version,
and the bounds read the same table as ``compare`` does."""

from __future__ import annotations

import csv
from itertools import pairwise
from pathlib import Path

import pytest

from sulh.cli import main
from sulh.matching.batch import dedup
from sulh.matching.record import PersonRecord
from sulh.matching.score import MODEL, NameStats, compare, could_reach
from sulh.matching.versions import CURRENT, VERSIONS, model_named
from sulh.synth import CSV_FIELDS, generate_registry

ONE = PersonRecord("a", given_name="Omar", family_name="Haddad", national_id="0123456789")
# the first two digits differ, and only one of them stands in the other's place
NEAR = PersonRecord("b", given_name="Omar", family_name="Haddad", national_id="2023456789")


def test_the_current_version_is_the_model_results_name():
    assert MODEL == CURRENT.name == "sulh-fs-2026.12d"
    assert compare(ONE, ONE).model == MODEL
    assert compare(ONE, ONE, model=VERSIONS["sulh-fs-2026.11b"]).model == "sulh-fs-2026.11b"
    with pytest.raises(ValueError, match=r"known: sulh-fs-2026\.12"):
        model_named("sulh-fs-1999")


def test_it_keeps_the_older_version_runnable_where_it_weighed_differently():
    older = model_named("sulh-fs-2026.11b")
    [nid_now] = [e for e in compare(ONE, NEAR).evidence if e.field == "national_id"]
    [nid_then] = [e for e in compare(ONE, NEAR, model=older).evidence if e.field == "national_id"]
    assert (nid_now.weight, nid_then.weight) == (-8.0, 4.0)
    assert nid_then.explanation == "two digits transposed"


@pytest.mark.parametrize("name", list(VERSIONS))
def test_no_pair_gains_more_than_the_versions_declared_maxima(name):
    model = VERSIONS[name]
    rows, _ = generate_registry(600, seed=12)
    records = [PersonRecord(**row) for row in rows]
    stats = NameStats.from_records(records)
    for a, b in [(r, r) for r in records] + list(pairwise(records)):
        result = compare(a, b, stats=stats, model=model)
        gain = sum(
            e.weight for e in result.evidence if e.field not in {"birth_date", "national_id"}
        )
        assert gain <= model.names_mother_place_max_gain + 1e-9
        for e in result.evidence:
            assert e.weight <= model.max_gains().get(e.field, model.names_max_gain) + 1e-9
        if not could_reach(a, b, threshold=0.5, stats=stats, model=model):
            assert result.score < 0.5, (a, b)


@pytest.mark.parametrize("name", list(VERSIONS))
def test_dedup_runs_every_version_by_name(tmp_path: Path, name: str):
    rows, _ = generate_registry(300, seed=8)
    source = tmp_path / "people.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "clusters.csv"
    args = ["match", "dedup", "--input", str(source), "--output", str(out), "--model", name]
    assert main(args) == 0
    with out.open(encoding="utf-8") as handle:
        written = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    records = [PersonRecord(**row) for row in rows]
    assert written == dedup(records, workers=1, model=model_named(name))
