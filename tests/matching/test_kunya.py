"""A kunya alias on a list (Abu Husain AL AHMAD, أبو احمد) is weak evidence: alone it does not
alert on a registrant born in another year, yet the entry is accepted and the kunya still
counts. Generated names only."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sulh.cli import main
from sulh.matching.batch import COLUMNS
from sulh.matching.normalize import is_kunya
from sulh.matching.record import PersonRecord
from sulh.matching.score import compare
from sulh.matching.versions import CURRENT, VERSIONS

LIST_ROWS = [
    ["L1", "", "", "", "", "Sufyan Jalal AL NAJJAR", "1969", "", "", "Abu Rayyan AL NAJJAR"],
    ["L2", "", "", "", "", "زياد كنان الحلاق", "1972", "", "", "أبو وسام"],
    ["L3", "", "", "", "", "Wisam", "", "", "", "Abu Wisam"],  # one name and a kunya
]


def _write(path: Path, rows: list[list[str]], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _screen(tmp_path: Path, people: list[list[str]], *extra: str) -> tuple[list, list]:
    listed = _write(tmp_path / "list.csv", LIST_ROWS, [*COLUMNS, "aliases"])
    registrants = _write(tmp_path / "people.csv", people, list(COLUMNS))
    out, rejected = tmp_path / "hits.csv", tmp_path / "rejected.csv"
    args = ["match", "screen", "--list", str(listed), "--input", str(registrants),
            "--output", str(out), "--rejections", str(rejected), *extra]  # fmt: skip
    assert main(args) == 0
    with out.open(encoding="utf-8") as handle:
        hits = [(h["record_id"], h["list_id"]) for h in csv.DictReader(handle)]
    with rejected.open(encoding="utf-8") as handle:
        rejections = list(csv.DictReader(handle))
    return hits, rejections


@pytest.mark.parametrize(
    ("text", "kunya"),
    [
        ("Abu Rayyan AL NAJJAR", True),
        ("Abou-Rayyan", True),
        ("Umm Wisam", True),
        ("أبو وسام", True),
        ("أم رياض الحلاق", True),
        ("Rayyan Abu Zaid", False),  # Abu inside a family name
        ("Abu", False),
        ("أبو", False),
    ],
)
def test_a_kunya_is_abu_or_umm_and_a_name(text, kunya):
    assert is_kunya(text) is kunya


def test_a_kunya_alias_alone_does_not_alert_on_someone_born_another_year(tmp_path):
    people = [
        # the son's name the kunya names, of the same family, 24 and 31 years younger
        ["P1", "Rayyan", "Omar", "Al-Najjar", "", "", "1993-04-02", "", ""],
        ["P2", "وسام", "ماهر", "القصاب", "", "", "2003", "", ""],
        ["P3", "Wisam", "Maher", "Kassab", "", "", "", "", ""],  # no birth date at all
    ]
    hits, rejections = _screen(tmp_path, people)
    assert rejections == []
    assert hits == []
    # the version before compared a kunya like a full name and alerted on P1
    old, _ = _screen(tmp_path, people, "--model", "sulh-fs-2026.12")
    assert ("P1", "L1") in old


def test_a_kunya_alias_is_accepted_and_still_counts(tmp_path):
    people = [
        # gave the kunya as his name, born the listed year
        ["P1", "Abu Rayyan", "", "Al-Najjar", "", "", "1969", "", ""],
        # the listed man under his own name
        ["P2", "Sufyan", "Jalal", "Al-Najjar", "", "", "1969-08-14", "", ""],
    ]
    hits, rejections = _screen(tmp_path, people)
    assert rejections == []
    assert ("P1", "L1") in hits and ("P2", "L1") in hits


def test_a_kunya_alias_is_weak_evidence_not_none():
    entry = PersonRecord(
        "L1", full_name="Sufyan Jalal AL NAJJAR", aliases=("Abu Rayyan AL NAJJAR",)
    )
    son = PersonRecord("P1", given_name="Rayyan", family_name="Al-Najjar")
    stranger = PersonRecord("P2", given_name="Hadi", family_name="Al-Sabbagh")
    kunya = compare(son, entry, screening=True)
    [alias] = [e for e in kunya.evidence if e.field == "alias"]
    assert 0 < alias.weight <= CURRENT.kunya_alias_max
    assert "kunya" in alias.explanation
    assert kunya.score > compare(stranger, entry, screening=True).score
    assert kunya.score < CURRENT.screen_threshold
    assert kunya.model == CURRENT.name
    old = compare(son, entry, screening=True, model=VERSIONS["sulh-fs-2026.12"])
    assert old.model == "sulh-fs-2026.12" and old.score > kunya.score
