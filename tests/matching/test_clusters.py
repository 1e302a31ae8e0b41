"""Dedup clusters that do not chain (sulh-fs-2026.12c): a record linked to one member of a
cluster joins it only when it agrees with the cluster as a whole."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sulh.cli import main
from sulh.matching.batch import dedup
from sulh.matching.cluster import average_linkage, coherent_clusters, link_threshold
from sulh.matching.record import PersonRecord
from sulh.matching.score import compare, log_odds
from sulh.matching.versions import CURRENT, model_named

OLD = model_named("sulh-fs-2026.12b")

# Three namesakes: A and C are two men called Mohammed Al-Ahmad from Homs, with other
# fathers, mothers and birth years; B gives only the two names and the town.
A = PersonRecord(
    "A", given_name="Mohammed", father_name="Khaled", family_name="Al-Ahmad",
    mother_name="Fatima", birth_date="1980-03-12", birth_place="Homs",
)  # fmt: skip
B = PersonRecord("B", given_name="Mohammed", family_name="Al-Ahmad", birth_place="Homs")
C = PersonRecord(
    "C", given_name="Mohammed", father_name="Yasser", family_name="Al-Ahmad",
    mother_name="Amina", birth_date="1995-07-02", birth_place="Homs",
)  # fmt: skip


def _clusters(mapping: dict[str, str]) -> list[set[str]]:
    groups: dict[str, set[str]] = {}
    for record_id, cluster in mapping.items():
        groups.setdefault(cluster, set()).add(record_id)
    return sorted(groups.values(), key=min)


def test_the_namesakes_link_through_the_sparse_record_but_clearly_differ():
    assert compare(A, B).score >= 0.5 and compare(B, C).score >= 0.5  # A~B, B~C
    assert compare(A, C).score < 0.01
    assert log_odds(A, C) < CURRENT.cannot_link  # a cannot-link
    assert "father_name -2.5" in compare(A, C).explain()


def test_two_namesakes_linked_through_a_third_record_stay_apart():
    held: list[list[str]] = []
    clusters = dedup([A, B, C], workers=1, held_apart=held)
    assert clusters["A"] != clusters["C"]
    assert _clusters(clusters) == [{"A", "B"}, {"C"}]  # B goes with the first, C alone
    assert held == [["A", "B", "C"]]


def test_the_version_before_chained_them_into_one_cluster():
    held: list[list[str]] = []
    clusters = dedup([A, B, C], workers=1, model=OLD, held_apart=held)
    assert _clusters(clusters) == [{"A", "B", "C"}]
    assert held == []  # the connected components hold nothing apart


def test_an_honest_pair_still_merges():
    latin = PersonRecord(
        "L", given_name="Mohammed", father_name="Khaled", family_name="Al-Ahmad",
        birth_date="1980-03-12", national_id="01234567890",
    )  # fmt: skip
    arabic = PersonRecord(
        "R", given_name="محمد", father_name="خالد", family_name="الأحمد",
        mother_name="فاطمة", birth_date="1980-03-12", national_id="01234567890",
    )  # fmt: skip
    assert _clusters(dedup([latin, arabic, C], workers=1)) == [{"C"}, {"L", "R"}]


def test_a_person_registered_three_times_with_one_sparse_record_stays_one_cluster():
    again = PersonRecord(
        "A2", given_name="Muhammad", father_name="Khalid", family_name="al-Ahmad",
        mother_name="Fatima", birth_date="1980-03-12", birth_place="Homs",
        national_id="01234567890",
    )  # fmt: skip
    held: list[list[str]] = []
    clusters = dedup([A, again, B], workers=1, held_apart=held)
    assert _clusters(clusters) == [{"A", "A2", "B"}]
    assert held == []


def test_a_sparse_record_between_two_namesake_clusters_does_not_join_them():
    c_again = PersonRecord(
        "C2", given_name="Muhammad", father_name="Yaser", family_name="al-Ahmad",
        mother_name="Amina", birth_date="1995-07-02", birth_place="Homs",
    )  # fmt: skip
    a_again = PersonRecord(
        "A2", given_name="Muhammad", father_name="Khalid", family_name="al-Ahmad",
        mother_name="Fatima", birth_date="1980-03-12", birth_place="Homs",
    )  # fmt: skip
    clusters = _clusters(dedup([A, a_again, B, C, c_again], workers=1))
    assert {"A", "A2"} <= clusters[0] and {"C", "C2"} <= clusters[1]
    assert len(clusters) == 2  # the two men's records never share a cluster
    old = _clusters(dedup([A, a_again, B, C, c_again], workers=1, model=OLD))
    assert old == [{"A", "A2", "B", "C", "C2"}]


def test_average_linkage_merges_while_the_mean_holds_and_never_across_a_cannot_link():
    w = np.array(
        [
            [0.0, 5.0, 4.0, -1.0],
            [5.0, 0.0, 3.0, -1.0],
            [4.0, 3.0, 0.0, 2.0],
            [-1.0, -1.0, 2.0, 0.0],
        ]
    )
    # {0,1} (5), then 2 (mean 3.5), then 3: mean (-1 - 1 + 2) / 3 = 0 >= 0
    assert average_linkage(w, cut=0.0, cannot_link=-7.0) == [[0, 1, 2, 3]]
    assert average_linkage(w, cut=0.5, cannot_link=-7.0) == [[0, 1, 2], [3]]
    # one cross pair below the cannot-link forbids the merge, whatever the mean
    w[0, 3] = w[3, 0] = -8.0
    assert average_linkage(w, cut=-10.0, cannot_link=-7.0) == [[0, 1, 2], [3]]
    # single linkage would have chained all four: every record links to the next
    assert average_linkage(np.zeros((1, 1)), cut=0.0, cannot_link=-7.0) == [[0]]


def test_coherent_clusters_keeps_a_linked_pair_and_splits_a_chain():
    weights = {(0, 1): 3.0, (1, 2): 3.0, (0, 2): -9.0, (3, 4): 0.0}

    def weigh(i: int, j: int) -> float:
        return weights[(i, j)]

    parts = list(coherent_clusters([[0, 1, 2], [3, 4]], weigh, cut=-1.0, cannot_link=-7.0))
    assert parts == [[[0, 1], [2]], [[3, 4]]]


def test_the_threshold_moves_links_and_the_cut_together():
    assert link_threshold(0.5, 0.0) == (0.5, 0.0)
    score, cut = link_threshold(0.5, CURRENT.cluster_offset)
    assert cut == CURRENT.cluster_offset == -0.98
    assert 0.336 < score < 0.337
    assert link_threshold(0.0, -1.0)[0] == 0.0 and link_threshold(1.0, -1.0)[0] == 1.0


def test_the_cli_says_how_many_linked_groups_it_held_apart(tmp_path: Path, capsys):
    source = tmp_path / "people.csv"
    fields = ["record_id", "given_name", "father_name", "family_name", "mother_name",
              "full_name", "birth_date", "birth_place", "national_id"]  # fmt: skip
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for r in (A, B, C):
            writer.writerow([getattr(r, f) for f in fields])
    out = tmp_path / "clusters.csv"
    assert main(["match", "dedup", "--input", str(source), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 groups of linked records held apart" in err and "A, B, C" in err
    with out.open(encoding="utf-8") as handle:
        rows = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    assert rows == {"A": "A", "B": "A", "C": "C"}
    args = ["match", "dedup", "--input", str(source), "--output", str(out)]
    assert main([*args, "--model", "sulh-fs-2026.12b"]) == 0
    assert "held apart" not in capsys.readouterr().err


def test_a_mothers_given_name_alone_agrees_with_her_full_name_in_dedup_only():
    one = PersonRecord("x", given_name="Omar", family_name="Haddad", mother_name="Aminah")
    two = PersonRecord("y", given_name="Omar", family_name="Haddad", mother_name="Aminah Al-Baker")
    [now] = [e for e in compare(one, two).evidence if e.field == "mother_name"]
    [then] = [e for e in compare(one, two, model=OLD).evidence if e.field == "mother_name"]
    assert now.weight == CURRENT.mother_given_only_max == 1.5
    assert "her given name only on one side" in now.explanation
    assert then.weight < 1.0
    # against a list (screening) the version before's weight holds
    [listed] = [e for e in compare(one, two, screening=True).evidence if e.field == "mother_name"]
    assert listed.weight == then.weight
    # another mother's given name gains nothing
    other = PersonRecord("z", given_name="Omar", family_name="Haddad", mother_name="Huda Al-Baker")
    [diff] = [e for e in compare(one, other).evidence if e.field == "mother_name"]
    assert diff.weight < 0


def _reference(records: list[PersonRecord]) -> dict[str, str]:
    """Every candidate pair compared at the link score, no pre-filter, no pool; the linked
    groups split by average linkage: what dedup must equal."""
    from sulh.matching.batch import _candidate_pairs
    from sulh.matching.cluster import linked_groups
    from sulh.matching.score import NameStats

    stats = NameStats.from_records(records)
    link, cut = link_threshold(CURRENT.dedup_threshold, CURRENT.cluster_offset)
    links = [
        (i, j)
        for i, j in _candidate_pairs(records)
        if compare(records[i], records[j], stats=stats).score >= link
    ]

    def weigh(i: int, j: int) -> float:
        return log_odds(records[i], records[j], stats=stats)

    label = list(range(len(records)))
    groups = linked_groups(len(records), links)
    for parts in coherent_clusters(groups, weigh, cut=cut, cannot_link=CURRENT.cannot_link):
        for part in parts:
            for i in part:
                label[i] = part[0]
    return {r.record_id: records[label[i]].record_id for i, r in enumerate(records)}


def test_dedup_gives_the_reference_clusters_with_one_or_two_workers():
    from sulh.synth import generate_registry

    rows, _ = generate_registry(2500, seed=23)
    records = [PersonRecord(**row) for row in rows]
    expected = _reference(records)
    assert len(set(expected.values())) < len(records)  # some duplicates found
    assert dedup(records, workers=1) == dedup(records, workers=2) == expected
