"""Turning the staff forms into the API's payloads, so that the same schema checks both.

Dates are typed day first (``DD/MM/YYYY`` or a year alone); Arabic-Indic digits are
accepted anywhere a number is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext, gettext_lazy

from sulh.core.errors import SulhError
from sulh.core.validation import SchemaInvalid

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
PERSON_FIELDS = (
    "given_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar", "mother_name_ar",
    "given_name_lat", "father_name_lat", "grandfather_name_lat", "family_name_lat",
    "mother_name_lat", "birth_place", "national_id", "sex",
)  # fmt: skip
FAMILY_FIELDS = ("relation", "name_ar", "name_lat", "sex", "birth_year", "accompanying")
ITEM_FIELDS = (
    "kind", "weapon_type", "calibre", "serial_number", "serial_state", "quantity", "description",
)  # fmt: skip
MAX_ROWS = 30
SHOWN_ROWS = 3  # rows of each kind a new form shows (the page's script adds and removes)
# fields that always hold a value (a select, a default quantity): they do not make a row
ROW_DEFAULTS = frozenset({"sex", "relation", "kind", "quantity", "serial_state", "accompanying"})
# the clerk's explicit choice when a weapon's serial number is not typed
SERIAL_STATES = {
    "typed": gettext_lazy("typed in the next field"),
    "none": gettext_lazy("no serial number"),
    "erased": gettext_lazy("erased"),
    "unreadable": gettext_lazy("unreadable"),
}
RELATIONS = {
    "spouse": gettext_lazy("spouse"),
    "child": gettext_lazy("child"),
    "parent": gettext_lazy("parent"),
    "sibling": gettext_lazy("sibling"),
    "other": gettext_lazy("other"),
}


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


def _rows(
    post: QueryDict, prefix: str, fields: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """The rows the clerk filled in, each with its index on the form."""
    rows = []
    for index in range(MAX_ROWS):
        row = {name: post.get(f"{prefix}-{index}-{name}", "").strip() for name in fields}
        if any(value for name, value in row.items() if name not in ROW_DEFAULTS):
            rows.append((index, row))
    return rows


def form_rows(
    post: QueryDict,
    prefix: str,
    fields: tuple[str, ...],
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Every row of one kind as the form showed it (empty ones too), with what was typed,
    so that a form shown again with its errors keeps them all."""
    shown = SHOWN_ROWS
    for key in post:
        found = re.fullmatch(rf"{prefix}-(\d+)-\w+", key)
        if found and int(found.group(1)) < MAX_ROWS:
            shown = max(shown, int(found.group(1)) + 1)
    errors = errors or {}
    return [
        {
            "index": index,
            "prefix": f"{index}-",
            "values": {name: post.get(f"{prefix}-{index}-{name}", "") for name in fields},
            "errors": {name: errors.get(f"{prefix}-{index}-{name}") for name in fields},
        }
        for index in range(shown)
    ]


@dataclasses.dataclass
class IntakeForm:
    """The payload for the schema, and where each of its parts came from on the form."""

    payload: dict[str, Any]
    family_rows: list[int]  # the form's row of each family member in the payload
    item_rows: list[int | None]  # the form's row of each item; None for the document

    def field_for(self, path: str) -> str:
        """The form field a schema path (``family[1].birth_year``) names; "" for none."""
        found = re.fullmatch(r"(family|items)\[(\d+)\](?:\.(\w+))?", path)
        if found:
            kind, position, name = found.group(1), int(found.group(2)), found.group(3) or ""
            if kind == "family":
                if position >= len(self.family_rows):
                    return ""
                return f"family-{self.family_rows[position]}-{name or 'name_ar'}"
            if position >= len(self.item_rows):
                return ""
            row = self.item_rows[position]
            if row is None:
                return "document_number" if name == "document_number" else "document_type"
            if name in ("no_serial", "serial_absence"):
                name = "serial_state"
            return f"item-{row}-{name or 'kind'}"
        if path.startswith("person."):
            name = path.removeprefix("person.")
            return name if name in PERSON_FIELDS or name in ("birth_date", "age_disputed") else ""
        if path in ("pledge.signed", "pledge.language"):
            return path.replace(".", "_")
        if path in ("category", "affiliation", "origin", "requested_destination"):
            return path
        return ""


def intake_form(post: QueryDict, *, program: str, station: str) -> IntakeForm:
    person: dict[str, Any] = {name: post.get(name, "").strip() for name in PERSON_FIELDS}
    person["national_id"] = western_digits(person["national_id"])
    person["birth_date"] = day_first_date(post.get("birth_date", ""))
    person["age_disputed"] = post.get("age_disputed") == "on"
    person["photo"] = post.get("photo", "").strip()  # web/_intake_photo.html
    family, family_rows = [], []
    for index, row in _rows(post, "family", FAMILY_FIELDS):
        member: dict[str, Any] = {k: row[k] for k in ("relation", "name_ar", "name_lat", "sex")}
        year = western_digits(row["birth_year"])
        member["birth_year"] = int(year) if year.isdigit() else (year or None)
        member["accompanying"] = row["accompanying"] == "on"
        family.append(member)
        family_rows.append(index)
    items: list[dict[str, Any]] = []
    item_rows: list[int | None] = []
    for index, row in _rows(post, "item", ITEM_FIELDS):
        item: dict[str, Any] = {
            k: row[k] for k in ("kind", "weapon_type", "calibre", "description")
        }
        serial = western_digits(row["serial_number"])
        item["serial_number"] = serial
        state = row["serial_state"] or "typed"
        if state != "typed":
            item["serial_absence"] = state if state in SERIAL_STATES else "?"
        quantity = western_digits(row["quantity"]) or "1"
        item["quantity"] = int(quantity) if quantity.isdigit() else quantity
        items.append(item)
        item_rows.append(index)
    document_type = post.get("document_type", "").strip()
    if document_type:
        items.append(
            {
                "kind": "id_document",
                "document_type": document_type,
                "document_number": western_digits(post.get("document_number", "").strip()),
            }
        )
        item_rows.append(None)
    payload = {
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
    return IntakeForm(payload=payload, family_rows=family_rows, item_rows=item_rows)


# --- Errors in the clerk's words, in the page's language ------------------------------

SCHEMA_MESSAGES = {
    "arabic_script": gettext_lazy("Write this in Arabic letters."),
    "latin_script": gettext_lazy("Write this in Latin letters."),
    "control_characters": gettext_lazy("Remove the invisible characters from this field."),
    "birth_date_format": gettext_lazy(
        "Write the date as day/month/year (for example 31/12/1990), or the year alone "
        "(1990): a real day of the calendar."
    ),
    "birth_date_future": gettext_lazy("This date is in the future."),
    "birth_year_impossible": gettext_lazy("This is not a possible year of birth."),
    "national_id_digits": gettext_lazy("A national number has 6 to 20 digits."),
    "given_name_required": gettext_lazy("Give a given name, in Arabic or in Latin letters."),
    "family_name_required": gettext_lazy(
        "Give a family name or a father's name, in Arabic or in Latin letters."
    ),
    "name_required": gettext_lazy("Give this family member's name, in Arabic or Latin letters."),
    "serial_placeholder": gettext_lazy(
        "This is not a serial number: leave it empty and choose no serial, erased or unreadable."
    ),
    "serial_required": gettext_lazy(
        "Type the serial number, or choose no serial, erased or unreadable."
    ),
    "serial_conflict": gettext_lazy(
        "A serial number is typed: choose “serial number typed”, or clear the number."
    ),
    "weapon_type_required": gettext_lazy("Say what type of weapon this is."),
    "document_type_required": gettext_lazy("Choose the kind of document."),
    "missing": gettext_lazy("This is required."),
    "literal_error": gettext_lazy("Choose one of the values offered."),
    "string_too_long": gettext_lazy("Too long: at most %(max_length)s characters."),
    "int_parsing": gettext_lazy("Write a whole number."),
    "int_type": gettext_lazy("Write a whole number."),
    "greater_than_equal": gettext_lazy("Must be at least %(ge)s."),
    "less_than_equal": gettext_lazy("Must be at most %(le)s."),
}
# what the registration itself (not the schema) refuses, by the field it names
FIELD_MESSAGES = {
    "category": gettext_lazy("Choose a category of this program."),
    "affiliation": gettext_lazy("Choose an armed group or force of this program."),
    "requested_destination": gettext_lazy("Choose a destination of this program."),
    "pledge.version": gettext_lazy(
        "The pledge changed since this form was opened: open a new form and read the pledge "
        "to the person again."
    ),
    "idempotency_key": gettext_lazy(
        "This form was already used for another registration: open a new form."
    ),
    "station": gettext_lazy("You register at your own station only."),
    "submitted_at": gettext_lazy("The program is not open for registration at this time."),
    "program": gettext_lazy("Choose a program open for registration."),
}


def _year_message() -> str:
    return gettext("Write a year of birth from 1900 to %(year)s, in four digits.") % {
        "year": dt.date.today().year
    }


def error_messages(exc: SulhError, form: IntakeForm) -> tuple[dict[str, list[str]], list[str]]:
    """Every error of a refused intake: by form field, and those no field shows."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(exc, SchemaInvalid):
        found = [(p.field, p.code, p.message, p.context) for p in exc.problems]
    else:
        found = [(exc.field or "", exc.code, exc.message, {})]
    for path, code, message, context in found:
        name = form.field_for(path)
        if name.endswith("birth_year") and code in {
            "greater_than_equal", "less_than_equal", "int_parsing", "birth_year_future",
        }:  # fmt: skip
            text = _year_message()
        elif code in SCHEMA_MESSAGES:
            text = str(SCHEMA_MESSAGES[code])
            if "%(" in text:
                text = text % context
        elif path in FIELD_MESSAGES:
            text = str(FIELD_MESSAGES[path])
        else:
            text = gettext("This could not be saved: %(reason)s") % {"reason": message}
        if name:
            by_field.setdefault(name, []).append(text)
        else:
            general.append(text)
    return by_field, general
