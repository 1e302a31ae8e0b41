"""What a vetting officer notices with sulh-fs-2026.12d: a frequent name alone does not
alert on twenty namesakes; with a matching birth year and mother's name the right entry
alerts, ranked first, with the evidence; the expected alert rate before an import.

Every name here is generated for the test (common Syrian name parts, no real person)."""

from __future__ import annotations

import csv
from pathlib import Path

from sulh.cli import main
from sulh.matching.batch import expected_alert_rate, screen
from sulh.matching.record import PersonRecord
from sulh.matching.versions import VERSIONS

D = VERSIONS["sulh-fs-2026.12d"]
C = VERSIONS["sulh-fs-2026.12c"]
MOTHERS = [
    "Fatima", "Khadija", "Aisha", "Maryam", "Zainab", "Huda", "Samira", "Layla", "Nour",
    "Rana", "Salma", "Hind", "Amal", "Ghada", "Mona", "Suad", "Wafa", "Najwa", "Lina", "Dima",
]  # fmt: skip


def _namesake_list() -> list[PersonRecord]:
    """Twenty listed men of the same three names, born 1960-2003, each with his mother."""
    return [
        PersonRecord(
            record_id=f"L{i:02d}",
            given_name="Mohammed",
            father_name="Mohammed",
            family_name="Al-Ahmad",
            mother_name=MOTHERS[i],
            birth_date=str(1960 + 2 * i + (1 if i > 15 else 0)),
        )
        for i in range(20)
    ]


def _registry(registrant: PersonRecord) -> list[PersonRecord]:
    others = [
        PersonRecord(
            record_id=f"R{i}", given_name=g, father_name=f, family_name=fam, birth_date="1990"
        )
        for i, (g, f, fam) in enumerate(
            [("Omar", "Khaled", "Al-Zoubi"), ("Hassan", "Ali", "Al-Hamwi"),
             ("Said", "Yasser", "Darwish"), ("Mahmoud", "Ahmad", "Al-Sheikh")]
        )
    ]  # fmt: skip
    return [registrant, *others]


def _known(record_id: str, given: str, father: str) -> PersonRecord:
    """The registrant with his birth year and his mother's name (those of entry L04)."""
    return PersonRecord(
        record_id=record_id, given_name=given, father_name=father, family_name="Al Ahmad",
        mother_name="Zainab", birth_date="1968",
    )  # fmt: skip


def test_a_frequent_name_alone_does_not_alert_on_twenty_namesakes():
    bare = PersonRecord(
        record_id="Q1", given_name="Muhamed", father_name="Mhd", family_name="Al Ahmad"
    )
    listed = _namesake_list()
    assert len(screen(listed, _registry(bare), model=C)) == 20  # as before: 20 alerts
    hits = screen(listed, _registry(bare), model=D)
    assert hits == []


def test_with_his_birth_year_and_mother_the_right_entry_alerts_first_with_the_evidence():
    known = _known("Q1", "Muhamed", "Mhd")
    hits = screen(_namesake_list(), _registry(known), model=D)
    assert hits, "the right entry alerts"
    first = hits[0]
    assert first.list_id == "L04"  # born 1968, mother Zainab: ranked first
    assert "birth_date" in first.evidence and "same year" in first.evidence
    assert "mother_name" in first.evidence and "same" in first.evidence
    assert "namesakes" in first.evidence and "20 list entries share this name" in first.evidence
    assert all(h.score < first.score for h in hits[1:])


def test_the_expected_alert_rate_on_the_registry_at_hand():
    bare = PersonRecord(
        record_id="Q1", given_name="Muhamed", father_name="Mhd", family_name="Al Ahmad"
    )
    known = _known("Q2", "Mohamad", "Mohammed")
    registry = [*_registry(bare), known]
    rate = expected_alert_rate(_namesake_list(), registry, model=D)
    assert (rate.registrants, rate.alerted) == (6, 1)
    assert rate.line().startswith("expected alerts at threshold 0.50 (sulh-fs-2026.12d): 1 of 6")
    before = expected_alert_rate(_namesake_list(), registry, model=C)
    assert before.alerted == 2 and before.alerts >= 21


def test_sulh_match_screen_says_the_expected_alert_rate(tmp_path: Path, capsys):
    fields = ["record_id", "given_name", "father_name", "family_name", "mother_name",
              "full_name", "birth_date", "birth_place", "national_id"]  # fmt: skip
    listed, people = tmp_path / "list.csv", tmp_path / "people.csv"
    for path, rows in ((listed, _namesake_list()), (people, _registry(PersonRecord(
        record_id="Q1", given_name="Muhamed", father_name="Mhd", family_name="Al Ahmad",
        mother_name="Zainab", birth_date="1968",
    )))):  # fmt: skip
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(fields)
            writer.writerows([getattr(r, f) for f in fields] for r in rows)
    out = tmp_path / "hits.csv"
    argv = ["match", "screen", "--list", str(listed), "--input", str(people), "--output", str(out)]
    assert main([*argv, "--expected-alerts"]) == 0
    err = capsys.readouterr().err
    assert (
        "expected alerts at threshold 0.50 (sulh-fs-2026.12d): 1 of 5 registrants (20.0 %)" in err
    )
