"""Dates and national numbers in Arabic-Indic digits: accepted, and the same value as in ASCII
digits, in the batch CLI and the online check alike. Generated names only."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sulh.cases.intake import intake_register
from sulh.cases.models import Case, State
from sulh.cli import main
from sulh.core.validation import parse
from sulh.matching.batch import COLUMNS
from sulh.matching.record import PersonRecord
from sulh.matching.score import compare
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _write(path: Path, rows: list[list[str]], *, aliases: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, *(["aliases"] if aliases else [])])
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_birth_date_in_arabic_indic_digits_is_accepted_and_joins_its_twin(tmp_path):
    people = _write(
        tmp_path / "people.csv",
        [
            ["A1", "وسيم", "نادر", "القطان", "رهف", "", "١٩٩٣-٠٧-٢٤", "حمص", "٠٣٤٥٦٧١٢٣٤٥"],
            ["A2", "وسيم", "نادر", "القطان", "رهف", "", "1993-07-24", "حمص", "03456712345"],
            ["A3", "وسيم", "نادر", "القطان", "", "", "١٩٩٣", "", ""],
        ],
    )
    out, rejected = tmp_path / "clusters.csv", tmp_path / "rejected.csv"
    args = ["match", "dedup", "--input", str(people), "--output", str(out),
            "--rejections", str(rejected)]  # fmt: skip
    assert main(args) == 0
    assert _read(rejected) == []  # no row refused for its digits
    clusters = {r["record_id"]: r["cluster_id"] for r in _read(out)}
    assert set(clusters) == {"A1", "A2", "A3"}
    assert clusters["A1"] == clusters["A2"]


def test_a_bad_date_in_arabic_indic_digits_is_still_refused(tmp_path):
    people = _write(
        tmp_path / "people.csv", [["A1", "وسيم", "", "القطان", "", "", "١٩٩٣-١٣-٤٠", "", ""]]
    )
    out, rejected = tmp_path / "clusters.csv", tmp_path / "rejected.csv"
    args = ["match", "dedup", "--input", str(people), "--output", str(out),
            "--rejections", str(rejected)]  # fmt: skip
    assert main(args) == 0
    assert [(r["row"], r["field"]) for r in _read(rejected)] == [("2", "birth_date")]


def test_a_national_number_in_arabic_indic_digits_agrees_with_the_list(tmp_path):
    listed = _write(
        tmp_path / "list.csv",
        [["L1", "Yazan", "Fawwaz", "Al-Khatib", "", "", "1987", "", "07654321098", ""]],
        aliases=True,
    )
    people = _write(
        tmp_path / "people.csv",
        [["P1", "يزن", "فواز", "الخطيب", "", "", "١٩٨٧-٠٣-١٢", "", "٠٧٦٥٤٣٢١٠٩٨"]],
    )
    out = tmp_path / "hits.csv"
    args = ["match", "screen", "--list", str(listed), "--input", str(people),
            "--output", str(out)]  # fmt: skip
    assert main(args) == 0
    [hit] = _read(out)
    assert (hit["record_id"], hit["list_id"]) == ("P1", "L1")
    assert "same number" in hit["evidence"]
    assert "different numbers" not in hit["evidence"]


def test_either_digit_form_is_the_same_number_and_date_in_a_comparison():
    arabic = PersonRecord(
        "a", given_name="يزن", family_name="الخطيب", birth_date="١٩٨٧-٠٣-١٢",
        national_id="٠٧٦٥٤٣٢١٠٩٨",
    )  # fmt: skip
    latin = PersonRecord(
        "b", given_name="Yazan", family_name="Al-Khatib", birth_date="1987-03-12",
        national_id="07654321098",
    )  # fmt: skip
    assert (arabic.birth_date, arabic.national_id) == ("1987-03-12", "07654321098")
    fields = {e.field: e for e in compare(arabic, latin).evidence}
    assert fields["national_id"].explanation == "same number"
    assert fields["birth_date"].explanation == "same date"


def _register(personas: dict[str, Any], clerk: str, person: dict[str, str]) -> Case:
    payload = make_intake(PROGRAM, submitted_at=WHEN, person=person)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas[clerk], now=WHEN).case


@pytest.mark.django_db
def test_online_a_second_registration_in_arabic_indic_digits_opens_review(personas, programs):
    ascii_ = {
        "given_name_ar": "", "father_name_ar": "", "family_name_ar": "", "mother_name_ar": "",
        "given_name_lat": "Tamer", "father_name_lat": "Ghassan", "family_name_lat": "al-Nahhas",
        "mother_name_lat": "", "birth_date": "1991-06-17", "national_id": "51223344556",
    }  # fmt: skip
    arabic = {
        "given_name_ar": "تامر", "father_name_ar": "غسان", "family_name_ar": "النحاس",
        "mother_name_ar": "", "given_name_lat": "", "family_name_lat": "",
        "birth_date": "١٩٩١-٠٦-١٧", "national_id": "٥١٢٢٣٣٤٤٥٥٦",
    }  # fmt: skip
    first = _register(personas, "clerk", ascii_)
    second = _register(personas, "clerk2", arabic)  # accepted at intake
    assert first.state == State.SCREENED
    assert second.state == State.IN_REVIEW
    candidate = second.candidates.get()
    assert candidate.other_case == first
    fields = {e["field"]: e for e in candidate.evidence}
    assert fields["national_id"]["explanation"] == "same number"
    assert fields["birth_date"]["explanation"] == "same date"
