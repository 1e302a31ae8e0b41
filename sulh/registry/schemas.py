"""The intake as a desk submits it, validated at the edge.

Every error names its field (``person.birth_date``, ``items[1].serial_number``)
so a clerk knows what to correct; nothing is saved until the whole submission
is valid.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

NAME_MAX = 100
_ARABIC_LETTERS = re.compile(
    r"^[\u0621-\u064A\u0660-\u0669\u066E-\u06D3\u06FA-\u06FF\u064B-\u065F\u0670 '\-]+$"
)
_LATIN_LETTERS = re.compile(r"^[A-Za-z\u00C0-\u024F '\-.]+$")
# Values clerks type when a serial cannot be read; they must use the explicit flag instead.
SERIAL_PLACEHOLDERS = frozenset(
    {
        "unreadable", "unknown", "none", "nil", "null", "n/a", "na", "no", "xxx", "xx", "x",
        "-", "--", "?", "??", "0", "000", "0000", "00000", "000000", "erased", "no serial",
        "غير مقروء", "لا يوجد", "مجهول", "ممسوح",
    }
)  # fmt: skip
PLACEHOLDER_PATTERN = re.compile(r"^(x+|0+|\?+|-+|\*+)$", re.IGNORECASE)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_MAX)]
# Why a weapon has no serial number, stated by the clerk: none was ever stamped, it was
# filed or ground off, or it is there but cannot be read.
SerialAbsence = Literal["", "none", "erased", "unreadable"]


def serial_is_placeholder(value: str) -> bool:
    """Whether ``value`` is what clerks type when a serial cannot be read (intake and
    custody refuse it: the explicit no-serial or erased flag says so instead)."""
    value = value.strip()
    return bool(value) and (
        value.lower() in SERIAL_PLACEHOLDERS or PLACEHOLDER_PATTERN.match(value) is not None
    )


def problem(code: str, message: str) -> PydanticCustomError:
    """A schema error with a stable code, which a form translates, and an English message,
    which the API shows."""
    return PydanticCustomError(code, message)


def _missing(data: Any, field: str, code: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=problem(code, message), loc=(field,), input=data)


def _all_errors(
    data: Any, handler: ValidatorFunctionWrapHandler, missing: list[InitErrorDetails]
) -> Any:
    """Validate with ``handler`` and report the fields' own errors together with the
    ``missing`` required values, so that a form shows every error at once (an "after"
    validator only runs when every field is already valid)."""
    try:
        model = handler(data)
    except ValidationError as exc:
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(error["type"], error["msg"], error.get("ctx")),
                loc=error["loc"],
                input=error.get("input"),
            )
            for error in exc.errors()
        ]
        known = {error["loc"] for error in errors}
        extra = [error for error in missing if error["loc"] not in known]
        raise ValidationError.from_exception_data(exc.title, [*errors, *extra]) from None
    if missing:
        raise ValidationError.from_exception_data("value", missing)
    return model


def _text(data: Any, *fields: str) -> bool:
    return isinstance(data, dict) and any(str(data.get(f) or "").strip() for f in fields)


# The holder's photo at intake: a small JPEG (the desk's browser makes one of about 300 x
# 375 pixels), base64. Bounded so that a photo never becomes an upload channel.
PHOTO_MAX_BYTES = 64 * 1024


def photo_jpeg(value: str) -> str:
    """A base64 JPEG (no data: prefix), at most PHOTO_MAX_BYTES; '' for none."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > (PHOTO_MAX_BYTES * 4) // 3 + 4:
        raise ValueError(f"the photo is larger than {PHOTO_MAX_BYTES // 1024} KiB")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the photo is not base64") from None
    if not (data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\0").endswith(b"\xff\xd9")):
        raise ValueError("the photo is not a JPEG image")
    return base64.b64encode(data).decode("ascii")


def _clean(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\u200c\u200d" for ch in value):
        raise problem("control_characters", "must not contain control characters")
    return re.sub(r"\s+", " ", value)


def arabic_name(value: str) -> str:
    value = _clean(value)
    if value and not _ARABIC_LETTERS.match(value):
        raise problem("arabic_script", "must be written in Arabic script")
    return value


def latin_name(value: str) -> str:
    value = _clean(value)
    if value and not _LATIN_LETTERS.match(value):
        raise problem("latin_script", "must be written in Latin script")
    return value


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def parse_birth_date(value: str, *, today: dt.date) -> str:
    """Accept "YYYY-MM-DD" or "YYYY", in ASCII or Arabic-Indic digits (kept in ASCII);
    refuse impossible and future dates."""
    value = value.strip().translate(_ARABIC_DIGITS)
    if not value:
        return ""
    if re.fullmatch(r"\d{4}", value):
        year = int(value)
        if year > today.year or year < today.year - 110:
            raise problem("birth_year_impossible", f"year {year} is not a possible birth year")
        return value
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        raise problem(
            "birth_date_format", "must be a date YYYY-MM-DD or a year YYYY, and a real calendar day"
        ) from None
    if born > today:
        raise problem("birth_date_future", "is in the future")
    if born.year < today.year - 110:
        raise problem("birth_year_impossible", f"year {born.year} is not a possible birth year")
    return born.isoformat()


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name_ar: ShortText = ""
    father_name_ar: ShortText = ""
    grandfather_name_ar: ShortText = ""
    family_name_ar: ShortText = ""
    mother_name_ar: ShortText = ""
    given_name_lat: ShortText = ""
    father_name_lat: ShortText = ""
    grandfather_name_lat: ShortText = ""
    family_name_lat: ShortText = ""
    mother_name_lat: ShortText = ""
    birth_date: Annotated[str, StringConstraints(max_length=10)] = ""
    birth_place: ShortText = ""
    national_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    sex: Literal["male", "female"]
    age_disputed: bool = False
    photo: Annotated[str, StringConstraints(max_length=(PHOTO_MAX_BYTES * 4) // 3 + 8)] = ""

    @field_validator(
        "given_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar", "mother_name_ar"
    )
    @classmethod
    def _arabic(cls, value: str) -> str:
        return arabic_name(value)

    @field_validator(
        "given_name_lat",
        "father_name_lat",
        "grandfather_name_lat",
        "family_name_lat",
        "mother_name_lat",
    )
    @classmethod
    def _latin(cls, value: str) -> str:
        return latin_name(value)

    @field_validator("birth_place")
    @classmethod
    def _place(cls, value: str) -> str:
        return _clean(value)

    @field_validator("photo")
    @classmethod
    def _photo(cls, value: str) -> str:
        return photo_jpeg(value)

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: str) -> str:
        return parse_birth_date(value, today=dt.date.today())

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str) -> str:
        value = value.translate(_ARABIC_DIGITS)
        if value and not re.fullmatch(r"\d{6,20}", value):
            raise problem("national_id_digits", "must be 6 to 20 digits")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _has_a_name(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> PersonIn:
        missing = []
        if not _text(data, "given_name_ar", "given_name_lat"):
            missing.append(
                _missing(data, "given_name_ar", "given_name_required", "a given name is required")
            )
        if not _text(
            data, "family_name_ar", "family_name_lat", "father_name_ar", "father_name_lat"
        ):
            missing.append(
                _missing(
                    data,
                    "family_name_ar",
                    "family_name_required",
                    "a family or father's name is required",
                )
            )
        person: PersonIn = _all_errors(data, handler, missing)
        return person


class FamilyMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relation: Literal["spouse", "child", "parent", "sibling", "other"]
    name_ar: ShortText = ""
    name_lat: ShortText = ""
    sex: Literal["male", "female"]
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    # with the person at the desk (and so seen), not only named
    accompanying: bool = False

    @field_validator("name_ar")
    @classmethod
    def _arabic(cls, value: str) -> str:
        return arabic_name(value)

    @field_validator("name_lat")
    @classmethod
    def _latin(cls, value: str) -> str:
        return latin_name(value)

    @model_validator(mode="wrap")
    @classmethod
    def _named(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> FamilyMemberIn:
        missing = []
        if not _text(data, "name_ar", "name_lat"):
            missing.append(_missing(data, "name_ar", "name_required", "a name is required"))
        member: FamilyMemberIn = _all_errors(data, handler, missing)
        if member.birth_year is not None and member.birth_year > dt.date.today().year:
            raise ValidationError.from_exception_data(
                "value",
                [_missing(data, "birth_year", "birth_year_future", "is in the future")],
            )
        return member


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["weapon", "ammunition", "id_document", "other"]
    weapon_type: ShortText = ""
    calibre: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] = ""
    serial_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    no_serial: bool = False
    # why there is no serial (implies no_serial); empty when one is typed, or unstated
    serial_absence: SerialAbsence = ""
    heavy: bool = False
    quantity: int = Field(default=1, ge=1, le=100000)
    document_type: ShortText = ""
    document_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    @field_validator("serial_number")
    @classmethod
    def _serial(cls, value: str) -> str:
        value = _clean(value)
        if serial_is_placeholder(value):
            raise problem(
                "serial_placeholder",
                f"{value!r} is a placeholder, not a serial number: leave it empty and set "
                "no_serial (or serial_absence)",
            )
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _weapon_serial(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> ItemIn:
        missing = []
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind == "weapon" and not _text(data, "weapon_type"):
            missing.append(
                _missing(data, "weapon_type", "weapon_type_required", "is required for a weapon")
            )
        if kind == "id_document" and not _text(data, "document_type"):
            missing.append(
                _missing(
                    data,
                    "document_type",
                    "document_type_required",
                    "is required for an identity document",
                )
            )
        item: ItemIn = _all_errors(data, handler, missing)
        if item.serial_absence:
            item.no_serial = True
        if item.kind == "weapon":
            if not item.serial_number and not item.no_serial:
                missing.append(
                    _missing(
                        data,
                        "serial_number",
                        "serial_required",
                        "is required, or set no_serial when it is absent or erased",
                    )
                )
            if item.serial_number and item.no_serial:
                field = "serial_absence" if item.serial_absence else "no_serial"
                missing.append(
                    _missing(
                        data,
                        field,
                        "serial_conflict",
                        "cannot be set together with a serial number",
                    )
                )
        if missing:
            raise ValidationError.from_exception_data("value", missing)
        return item


class PledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: ShortText
    language: Literal["ar", "en"]
    signed: bool


class IntakeIn(BaseModel):
    """A registration as submitted by a desk or a station device."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{8,64}$")]
    program: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
    station: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    person: PersonIn
    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
    affiliation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    origin: Literal["local", "non_local"]
    requested_destination: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=60)
    ] = ""
    family: list[FamilyMemberIn] = Field(default_factory=list, max_length=30)
    items: list[ItemIn] = Field(default_factory=list, max_length=200)
    pledge: PledgeIn
    submitted_at: dt.datetime | None = None

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone offset")
        return value
