"""Turning the staff forms into the API's payloads, so that the same schema checks both.

Dates are typed day first (``DD/MM/YYYY`` or a year alone); Arabic-Indic digits are
accepted anywhere a number is.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import QueryDict

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
PERSON_FIELDS = (
    "given_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar", "mother_name_ar",
    "given_name_lat", "father_name_lat", "grandfather_name_lat", "family_name_lat",
    "mother_name_lat", "birth_place", "national_id", "sex",
)  # fmt: skip
FAMILY_FIELDS = ("relation", "name_ar", "name_lat", "sex", "birth_year")
ITEM_FIELDS = ("kind", "weapon_type", "calibre", "serial_number", "quantity", "description")
MAX_ROWS = 30
# fields that always hold a value (a select, a default quantity): they do not make a row
ROW_DEFAULTS = frozenset({"sex", "relation", "kind", "quantity"})


def western_digits(text: str) -> str:
    return text.translate(DIGITS)


def day_first_date(text: str) -> str:
    """``31/12/1990``, ``31-12-1990``, ``31.12.1990`` or ``1990`` -> ISO; anything else is
    passed on unchanged so that the schema names the field."""
    text = western_digits(text).strip()
    found = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if found:
        day, month, year = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _rows(post: QueryDict, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = []
    for index in range(MAX_ROWS):
        row = {name: post.get(f"{prefix}-{index}-{name}", "").strip() for name in fields}
        if any(value for name, value in row.items() if name not in ROW_DEFAULTS):
            rows.append(row)
    return rows


def intake_payload(post: QueryDict, *, program: str, station: str) -> dict[str, Any]:
    person: dict[str, Any] = {name: post.get(name, "").strip() for name in PERSON_FIELDS}
    person["national_id"] = western_digits(person["national_id"])
    person["birth_date"] = day_first_date(post.get("birth_date", ""))
    person["age_disputed"] = post.get("age_disputed") == "on"
    person["photo"] = post.get("photo", "").strip()  # web/_intake_photo.html
    family = []
    for row in _rows(post, "family", FAMILY_FIELDS):
        member: dict[str, Any] = {k: row[k] for k in ("relation", "name_ar", "name_lat", "sex")}
        year = western_digits(row["birth_year"])
        member["birth_year"] = int(year) if year.isdigit() else (year or None)
        family.append(member)
    items = []
    for row in _rows(post, "item", ITEM_FIELDS):
        item: dict[str, Any] = {
            k: row[k] for k in ("kind", "weapon_type", "calibre", "description")
        }
        serial = western_digits(row["serial_number"])
        item["serial_number"] = serial
        item["no_serial"] = row["kind"] == "weapon" and not serial
        quantity = western_digits(row["quantity"]) or "1"
        item["quantity"] = int(quantity) if quantity.isdigit() else quantity
        items.append(item)
    document_type = post.get("document_type", "").strip()
    if document_type:
        items.append(
            {
                "kind": "id_document",
                "document_type": document_type,
                "document_number": western_digits(post.get("document_number", "").strip()),
            }
        )
    return {
        "idempotency_key": post.get("idempotency_key") or uuid.uuid4().hex,
        "program": program,
        "station": station,
        "person": person,
        "category": post.get("category", ""),
        "affiliation": post.get("affiliation", ""),
        "origin": post.get("origin", ""),
        "requested_destination": post.get("requested_destination", ""),
        "family": family,
        "items": items,
        "pledge": {
            "version": post.get("pledge_version", ""),
            "language": post.get("pledge_language", "ar"),
            "signed": post.get("pledge_signed") == "on",
        },
    }
