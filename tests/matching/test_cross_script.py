"""Two registrations of one person, one in Arabic script and one in Latin, are joined more
often (sulh-fs-2026.12b): places by their exonyms, -eh for ح, a kunya in the given-name
field, names across scripts weighed as names in one script, and a final ح and Latin -ih in
one blocking key. Generated names only."""

from __future__ import annotations

import csv
from pathlib import Path

from sulh.cli import main
from sulh.matching.batch import COLUMNS, dedup
from sulh.matching.index import plain_keys
from sulh.matching.record import PersonRecord
from sulh.matching.score import (
    best_gain,
    compare,
    name_similarity,
    place_feature,
)
from sulh.matching.versions import CURRENT, VERSIONS

BEFORE = VERSIONS["sulh-fs-2026.12"]


def test_a_place_and_its_exonym_are_the_same_place():
    for latin, arabic in [("Aleppo", "حلب"), ("Alep", "حلب"), ("Damas", "دمشق"),
                          ("Lattakia", "اللاذقية"), ("Rural Damascus", "ريف دمشق")]:  # fmt: skip
        assert place_feature(latin, arabic).explanation == "same place", latin
    assert place_feature("Aleppo", "دمشق").explanation == "different place"
    assert place_feature("Homs", "حمص").explanation == "same place"


def test_latin_eh_writes_a_final_ha_and_still_a_ta_marbuta():
    assert name_similarity("Abou Saleh", "أبو صالح") >= 0.95
    assert name_similarity("Farah", "فرح") >= 0.95
    assert name_similarity("Hamadeh", "حمادة") >= 0.95  # the ta marbuta reading is kept
    assert name_similarity("Saleh", "سالم") < 0.9


def test_a_kunya_in_the_given_name_field_is_not_weighed_against_a_given_name():
    kunya = PersonRecord(
        "a", given_name="Abu Yamen", father_name="Nizar", family_name="Al-Dabbagh",
        birth_date="1984-02-11",
    )  # fmt: skip
    named = PersonRecord(
        "b", given_name="مازن", father_name="نزار", family_name="الدباغ", birth_date="1984-02-11"
    )
    given = {e.field: e for e in compare(kunya, named).evidence}["given_name"]
    assert given.weight == 0.0 and "kunya" in given.explanation
    before = {e.field: e for e in compare(kunya, named, model=BEFORE).evidence}["given_name"]
    assert before.weight < -3
    weighed = [e.weight for e in compare(kunya, named).evidence if e.field.endswith("_name")]
    assert best_gain(kunya, named) >= sum(weighed) - 0.005 * len(weighed)  # rounded weights


def _records() -> tuple[PersonRecord, PersonRecord]:
    arabic = PersonRecord(
        "R1", given_name="خالد", father_name="محمود", family_name="الاحمد",
        mother_name="جميلة الاحمد", birth_date="1975-07-28", birth_place="دمشق",
    )  # fmt: skip
    latin = PersonRecord(
        "R2", given_name="Khaled", father_name="Mahmoud", family_name="Al-Ahmad",
        birth_date="1976-07-28",
    )  # fmt: skip
    return arabic, latin


def test_one_person_in_two_scripts_is_joined_where_the_version_before_was_not(tmp_path: Path):
    arabic, latin = _records()
    assert compare(arabic, latin, model=BEFORE).score < CURRENT.dedup_threshold
    assert compare(arabic, latin).score >= CURRENT.dedup_threshold
    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for r in (arabic, latin):
            writer.writerow([getattr(r, c) for c in COLUMNS])
    out = tmp_path / "clusters.csv"
    assert main(["match", "dedup", "--input", str(people), "--output", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        clusters = {r["record_id"]: r["cluster_id"] for r in csv.DictReader(handle)}
    assert clusters["R1"] == clusters["R2"]


def test_names_across_scripts_weigh_as_in_one_script_at_most_and_screening_is_unchanged():
    arabic, latin = _records()
    same_script = PersonRecord("R3", **{c: getattr(latin, c) for c in COLUMNS[1:]})
    for field in ("given_name", "father_name", "family_name"):
        across = {e.field: e for e in compare(arabic, latin).evidence}[field]
        within = {e.field: e for e in compare(latin, same_script).evidence}[field]
        before = {e.field: e for e in compare(arabic, latin, model=BEFORE).evidence}[field]
        assert before.weight < across.weight <= within.weight, field
    # against a list, names across scripts weigh as in the version before
    now = compare(arabic, latin, screening=True)
    then = compare(arabic, latin, screening=True, model=BEFORE)
    assert [e.weight for e in now.evidence] == [e.weight for e in then.evidence]


def test_a_final_ha_and_a_latin_ih_share_blocking_keys_and_are_joined(tmp_path: Path):
    arabic = PersonRecord(
        "R1", given_name="حسن", father_name="مصطفى", family_name="الصالح",
        mother_name="إيمان قاسم", birth_date="1983-03-12",
    )  # fmt: skip
    latin = PersonRecord(
        "R2", given_name="Hassan", father_name="Mustapha", family_name="el-Salih",
        mother_name="Imane Qasem", birth_date="1983",
    )  # fmt: skip
    assert plain_keys(arabic) & plain_keys(latin)
    assert dedup([arabic, latin]) == {"R1": "R1", "R2": "R1"}
