"""Generated people for the demo, the tests and the benchmarks: nobody real.

``generate_people`` draws people from weighted name tables (namesakes are common,
as in real registries); ``render_registration`` writes one person the way one
clerk would, in Arabic or Latin script with the variants clerks really produce;
``generate_registry`` makes a registry with known duplicates for measuring
matching.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sulh.matching.batch import COLUMNS
from sulh.synth.names import FAMILY, FEMALE_GIVEN, MALE_GIVEN, PLACES

Name = tuple[str, tuple[str, ...]]
CSV_FIELDS = COLUMNS  # the batch interface of DESIGN.md §5


@dataclass(frozen=True)
class SynthPerson:
    person_id: str
    sex: str
    given: Name
    father: Name
    grandfather: Name
    family: Name
    mother: Name
    mother_family: Name
    birth_date: dt.date
    birth_year_only: bool
    birth_place: tuple[str, str]
    national_id: str
    spouse: Name | None

    def birth_text(self) -> str:
        return str(self.birth_date.year) if self.birth_year_only else self.birth_date.isoformat()

    def as_intake_person(self, *, rng: random.Random) -> dict[str, Any]:
        """The ``person`` part of an intake: both scripts, a clerk's chosen spellings."""
        return {
            "given_name_ar": self.given[0],
            "father_name_ar": self.father[0],
            "grandfather_name_ar": self.grandfather[0],
            "family_name_ar": self.family[0],
            "mother_name_ar": f"{self.mother[0]} {self.mother_family[0]}",
            "given_name_lat": rng.choice(self.given[1]),
            "father_name_lat": rng.choice(self.father[1]),
            "family_name_lat": rng.choice(self.family[1]),
            "birth_date": self.birth_text(),
            "birth_place": self.birth_place[0],
            "national_id": self.national_id if rng.random() < 0.85 else "",
            "sex": self.sex,
        }

    def spouse_names(self) -> tuple[str, str]:
        spouse = self.spouse or FEMALE_GIVEN[0][:2]
        return spouse[0], spouse[1][0]


def _pick(rng: random.Random, table: tuple[tuple[str, tuple[str, ...], int], ...]) -> Name:
    entry = rng.choices(table, weights=[w for _, _, w in table])[0]
    return entry[0], entry[1]


def _person(rng: random.Random, index: int, *, sex: str | None = None) -> SynthPerson:
    sex = sex or ("male" if rng.random() < 0.9 else "female")
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 56))
    return SynthPerson(
        person_id=f"P{index:07d}",
        sex=sex,
        given=_pick(rng, MALE_GIVEN if sex == "male" else FEMALE_GIVEN),
        father=_pick(rng, MALE_GIVEN),
        grandfather=_pick(rng, MALE_GIVEN),
        family=_pick(rng, FAMILY),
        mother=_pick(rng, FEMALE_GIVEN),
        mother_family=_pick(rng, FAMILY),
        birth_date=born,
        birth_year_only=rng.random() < 0.15,
        birth_place=rng.choice(PLACES),
        national_id=f"{rng.randrange(10**10, 10**11)}",
        spouse=_pick(rng, FEMALE_GIVEN) if sex == "male" and rng.random() < 0.6 else None,
    )


def generate_people(n: int, *, seed: int) -> list[SynthPerson]:
    rng = random.Random(seed)
    return [_person(rng, index) for index in range(n)]


# --- One clerk's rendering ----------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]


def _arabic_variant(rng: random.Random, text: str) -> str:
    """Hamza and ta marbuta dropped, al- or abd joined or split, as clerks write."""
    if rng.random() < 0.3:
        text = text.replace("أ", "ا").replace("إ", "ا")
    if rng.random() < 0.2:
        text = text.replace("ة", "ه")
    if rng.random() < 0.2:
        text = text.replace("ى", "ي")
    if rng.random() < 0.3:
        text = text.replace("عبد ال", "عبدال")
    if rng.random() < 0.15 and text.startswith("ال"):
        text = text[2:]
    return text


def _latin_variant(rng: random.Random, spellings: tuple[str, ...]) -> str:
    text = rng.choice(spellings)
    if rng.random() < 0.2:
        text = text.replace("al-", "").replace("el-", "").replace("Al ", "")
    if rng.random() < 0.1:
        text = text.upper() if rng.random() < 0.5 else text.lower()
    return text


def _birth(rng: random.Random, person: SynthPerson, noise: float) -> str:
    if person.birth_year_only:
        return rng.choice([str(person.birth_date.year), f"{person.birth_date.year}-01-01"])
    born = person.birth_date
    roll = rng.random()
    if roll < noise * 0.2 and born.day <= 12:
        return dt.date(born.year, born.day, born.month).isoformat()  # day and month swapped
    if roll < noise * 0.3:
        return str(born.year)
    if roll < noise * 0.35:
        return dt.date(born.year + rng.choice([-1, 1]), born.month, min(born.day, 28)).isoformat()
    return born.isoformat()


def _national_id(rng: random.Random, person: SynthPerson, noise: float) -> str:
    roll = rng.random()
    if roll < noise * 0.5:
        return ""
    if roll < noise * 0.65:
        digits = list(person.national_id)
        i = rng.randrange(len(digits))
        digits[i] = str((int(digits[i]) + rng.randrange(1, 10)) % 10)
        return "".join(digits)
    return person.national_id


def render_registration(
    person: SynthPerson, *, rng: random.Random, script: str = "mixed", noise: float = 0.3
) -> dict[str, str]:
    """One desk's record of ``person`` in the CSV schema of the batch interface."""
    if script == "mixed":
        script = "ar" if rng.random() < 0.5 else "lat"

    def name(part: Name) -> str:
        text = _arabic_variant(rng, part[0]) if script == "ar" else _latin_variant(rng, part[1])
        return _typo(rng, text) if rng.random() < noise * 0.15 else text

    mother = (
        f"{name(person.mother)} {name(person.mother_family)}" if rng.random() > noise * 0.3 else ""
    )
    record = {
        "given_name": name(person.given),
        "father_name": name(person.father) if rng.random() > noise * 0.2 else "",
        "family_name": name(person.family),
        "mother_name": mother,
        "full_name": "",
        "birth_date": _birth(rng, person, noise),
        "birth_place": person.birth_place[0 if script == "ar" else 1],
        "national_id": _national_id(rng, person, noise),
    }
    if rng.random() < noise * 0.2:
        # Written as one string, sometimes family name first.
        parts = [record["given_name"], record["father_name"], record["family_name"]]
        if rng.random() < 0.5:
            parts = [parts[2], parts[0], parts[1]]
        record["full_name"] = " ".join(p for p in parts if p)
        record["given_name"] = record["father_name"] = record["family_name"] = ""
    return record


def generate_registry(
    n_records: int, *, seed: int, duplicate_rate: float = 0.2, noise: float = 0.3
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Records, some of one person twice; returns (records, record_id → person_id)."""
    rng = random.Random(seed)
    records: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    index = 0
    while len(records) < n_records:
        person = _person(rng, index)
        index += 1
        copies = 2 if rng.random() < duplicate_rate else 1
        for _ in range(min(copies, n_records - len(records))):
            record_id = f"R{len(records) + 1:08d}"
            records.append(
                {"record_id": record_id, **render_registration(person, rng=rng, noise=noise)}
            )
            truth[record_id] = person.person_id
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[i] for i in order], truth
