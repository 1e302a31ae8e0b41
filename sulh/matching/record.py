"""The record the matcher compares: one person as one desk or one list wrote them."""

from __future__ import annotations

from dataclasses import dataclass

from sulh.matching.normalize import ascii_digits


@dataclass(frozen=True, slots=True)
class PersonRecord:
    record_id: str
    given_name: str = ""
    father_name: str = ""
    grandfather_name: str = ""
    family_name: str = ""
    mother_name: str = ""
    full_name: str = ""  # used when the parts are absent
    birth_date: str = ""  # "YYYY-MM-DD", "YYYY" or ""
    birth_place: str = ""
    national_id: str = ""
    aliases: tuple[str, ...] = ()  # other names of the same person (list entries)

    def __post_init__(self) -> None:
        # Every path builds its records here (batch, Spark, the registry, lists, the web):
        # a date or number in Arabic-Indic digits is compared as the same in ASCII digits.
        for field in ("birth_date", "national_id"):
            value = getattr(self, field)
            if not value.isascii():
                object.__setattr__(self, field, ascii_digits(value))

    def has_parts(self) -> bool:
        return bool(self.given_name or self.family_name or self.father_name)
