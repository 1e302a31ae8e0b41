"""Names of one consonant skeleton told apart by their vowels (sulh-fs-2026.12e,
sulh/matching/vowels.py): Mahmoud is not Mohammed, Hassan is not Hussein, in either script
and across them, while the spellings of one name still agree. 2026.12e is not the current
version (it lost dedup recall on the tune split: docs/benchmarks.md)."""

from __future__ import annotations

import pytest

from sulh.matching.record import PersonRecord
from sulh.matching.score import compare
from sulh.matching.versions import VERSIONS
from sulh.matching.vowels import different_vowels

E = VERSIONS["sulh-fs-2026.12e"]

ONE_NAME = [
    ("Mohammed", "Muhammad"), ("Mohamed", "Mohammed"), ("Mhamed", "Mohamed"),
    ("Mahmoud", "Mahmood"), ("Mahmoud", "Mahmud"), ("Hassan", "Hasan"),
    ("Hussein", "Husayn"), ("Hussein", "Hossein"), ("Hussain", "Hussein"),
    ("Youssef", "Yusuf"), ("Khaled", "Khalid"), ("Ahmed", "Ahmad"), ("Fatima", "Fatma"),
    ("Omar", "Umar"), ("Osama", "Usama"), ("Ibrahim", "Ebrahim"),
    ("محمد", "Mohamed"), ("محمد", "Muhammad"), ("محمود", "Mahmoud"), ("محمود", "Mahmud"),
    ("حسن", "Hassan"), ("حسين", "Hussein"), ("حسين", "Husayn"), ("حسام", "Hossam"),
    ("أسامة", "Osama"), ("أحمد", "Ahmad"), ("علي", "Ali"), ("فاطمة", "Fatima"),
    ("فاطمة", "Fatma"), ("يوسف", "Youssef"), ("خالد", "Khaled"), ("سعيد", "Said"),
    ("سعد", "Saad"), ("عمر", "Omar"), ("عمرو", "Amr"), ("مصطفى", "Mostafa"),
    ("حمزة", "Hamzah"), ("كريم", "Kareem"), ("أحمد", "احمد"), ("إسماعيل", "Ismail"),
]  # fmt: skip
TWO_NAMES = [
    ("Mahmoud", "Mohammed"), ("Mahmoud", "Muhammad"), ("Hassan", "Hussein"),
    ("Hasan", "Husayn"), ("Ahmad", "Hamed"), ("Omar", "Amr"), ("محمود", "محمد"),
    ("حسن", "حسين"), ("أحمد", "حامد"), ("عمر", "عمرو"), ("سعد", "سعيد"), ("ناصر", "نصر"),
    ("Mahmoud", "محمد"), ("Mohammed", "محمود"), ("Hassan", "حسين"), ("Hussein", "حسن"),
    ("Ahmad", "حامد"), ("Hamed", "أحمد"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), ONE_NAME)
def test_spellings_of_one_name_agree(a, b):
    assert not different_vowels(a, b)


@pytest.mark.parametrize(("a", "b"), TWO_NAMES)
def test_two_names_of_one_skeleton_are_told_apart(a, b):
    assert different_vowels(a, b)


def _person(record_id: str, given: str, **extra: str) -> PersonRecord:
    return PersonRecord(
        record_id, given_name=given, father_name="Khalil", family_name="Al-Hassan", **extra
    )


@pytest.mark.parametrize(
    ("a", "b"), [("Mahmoud", "Mohammed"), ("محمود", "محمد"), ("Hassan", "Hussein"), ("حسن", "حسين")]
)
def test_brothers_named_mahmoud_and_mohammed_are_not_one_person(a, b):
    """Same father and family, no date: 2026.12e weighs the given names against the pair
    (as it does Ahmad against Mahmoud), so the names alone link nothing; 2026.12d took
    them for one name."""
    current = compare(_person("1", a), _person("2", b), model=E)
    assert current.evidence[0].weight < 0
    assert current.score < E.dedup_threshold
    before = compare(_person("1", a), _person("2", b), model=VERSIONS["sulh-fs-2026.12d"])
    assert before.evidence[0].weight > 1.5 and before.score > current.score


def test_one_name_spelt_twice_still_links():
    pair = compare(
        _person("1", "Mahmoud", birth_date="1985-03-02"),
        _person("2", "محمود", birth_date="1985-03-02"),
        model=E,
    )
    assert pair.evidence[0].weight > 1.5
    assert pair.score > 0.95
