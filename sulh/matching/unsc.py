"""The UN Security Council consolidated list (XML) as list records, with its aliases and
original-script names.

The schema (``CONSOLIDATED_LIST`` / ``INDIVIDUALS`` / ``INDIVIDUAL``) is the one the
Council's committees publish. Entities are not persons and are left out; an individual
without any name is reported with its position, and the rest are read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from sulh.matching.batch import InputError, RowRejection, read_people_csv
from sulh.matching.record import PersonRecord

MAX_BYTES = 64 * 1024 * 1024
NAME_TAGS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(element: ET.Element | None, tag: str) -> str:
    if element is None:
        return ""
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _birth_date(individual: ET.Element) -> str:
    for date in individual.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        exact = _text(date, "DATE")
        if exact[:10].count("-") == 2:
            return exact[:10]
        year = _text(date, "YEAR") or _text(date, "FROM_YEAR")
        if year.isdigit() and len(year) == 4:
            return year
    return ""


def _birth_place(individual: ET.Element) -> str:
    place = individual.find("INDIVIDUAL_PLACE_OF_BIRTH")
    return _text(place, "CITY") or _text(place, "STATE_PROVINCE") or _text(place, "COUNTRY")


def _national_id(individual: ET.Element) -> str:
    for document in individual.findall("INDIVIDUAL_DOCUMENT"):
        if "national" in _text(document, "TYPE_OF_DOCUMENT").lower():
            return _text(document, "NUMBER")
    return ""


def read_unsc_xml(path: str | Path) -> tuple[list[PersonRecord], list[RowRejection]]:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise InputError(f"{path.name} is larger than {MAX_BYTES // 2**20} MiB")
    raw = path.read_bytes()
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
        raise InputError("the file declares a DOCTYPE or entities: refused")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - no DOCTYPE/entities (checked above), bounded size
    except ET.ParseError as exc:
        raise InputError(f"not well-formed XML: {exc}") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError(
            f"not the UN Security Council consolidated list schema (root element <{root.tag}>)"
        )
    records: list[PersonRecord] = []
    rejections: list[RowRejection] = []
    seen: set[str] = set()
    for number, individual in enumerate(root.iter("INDIVIDUAL"), start=1):
        names = [_text(individual, tag) for tag in NAME_TAGS]
        full = " ".join(n for n in names if n)
        record_id = _text(individual, "REFERENCE_NUMBER") or _text(individual, "DATAID")
        if not full:
            rejections.append(RowRejection(number, "FIRST_NAME", "an individual without a name"))
            continue
        if not record_id or record_id in seen:
            problem = "missing" if not record_id else f"{record_id!r} appears twice"
            rejections.append(RowRejection(number, "REFERENCE_NUMBER", problem))
            continue
        seen.add(record_id)
        aliases = [
            _text(alias, "ALIAS_NAME")
            for alias in individual.findall("INDIVIDUAL_ALIAS")
            if _text(alias, "ALIAS_NAME")
        ]
        original = _text(individual, "NAME_ORIGINAL_SCRIPT")
        if original:
            aliases.insert(0, original)
        records.append(
            PersonRecord(
                record_id=record_id[:64],
                full_name=full[:200],
                birth_date=_birth_date(individual),
                birth_place=_birth_place(individual)[:200],
                national_id=_national_id(individual)[:40],
                aliases=tuple(a[:200] for a in aliases[:50]),
            )
        )
    return records, rejections


def read_list_file(path: str | Path) -> tuple[list[PersonRecord], list[RowRejection]]:
    """A screening list: the UN Security Council consolidated list as published (``.xml``)
    or the batch CSV with an optional aliases column, where an entry may have one name
    (lists name some people by one name alone; a registrant needs two)."""
    if Path(path).suffix.lower() == ".xml":
        return read_unsc_xml(path)
    return read_people_csv(path, one_part_ok=True)
