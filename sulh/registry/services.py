"""The registry's writes: a person's intake saved whole (person, family members, items
surrendered, pledge, serial number), and erased when retention ends.

Registering someone (validation against the program, then the case) is the intake service
in ``sulh.cases.intake``, which calls ``intake_save`` inside its transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sulh.accounts.models import Station, User
from sulh.core.errors import Conflict
from sulh.keys.sealing import blind_index
from sulh.programs.definition import ProgramDefinition
from sulh.programs.models import Program
from sulh.registry.models import FamilyMember, Intake, Person, SerialCounter, SurrenderedItem
from sulh.registry.schemas import IntakeIn

AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 200, "50+"),
)


KEY_TAKEN = "this idempotency key was already used: send the submission with a new key"


def idempotency_key_index(key: str) -> str:
    """What is stored of a submission's idempotency key: a keyed hash (the key is chosen by
    the station's device, and a misbehaving one could write anything there)."""
    return blind_index(key, purpose="intake-idempotency-key")


def intake_find(*, key: str, digest: IntakeDigest) -> Intake | None:
    """The intake an earlier delivery of this submission saved, or None; the same key with
    a different submission is refused."""
    intake = (
        Intake.objects.filter(idempotency_key=idempotency_key_index(key))
        .select_related("case")
        .first()
    )
    if intake is None:
        return None
    if intake.payload_sha256 not in (digest.keyed, digest.legacy):
        raise Conflict(KEY_TAKEN, field="idempotency_key")
    return intake


@dataclass(frozen=True)
class IntakeDigest:
    """What a submission is recognised by when it is delivered again. ``keyed`` (stored) is
    an HMAC under the index key: a bare hash of the submission let a database thief who
    knew a person confirm their intake and recover its sealed fields by trying the few
    categories, affiliations and origins. ``legacy`` matches intakes stored before."""

    keyed: str
    legacy: str


def intake_digest(data: IntakeIn) -> IntakeDigest:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return IntakeDigest(
        keyed=blind_index(canonical, purpose="intake-payload"),
        legacy=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def intake_save(
    *,
    data: IntakeIn,
    clerk: User,
    station: Station,
    program: Program,
    definition: ProgramDefinition,
    submitted_at: dt.datetime,
    digest: IntakeDigest,
) -> Intake:
    """Save the person, the intake, the family members and the items surrendered, in the
    caller's transaction; the caller (``sulh.cases.intake``) opens the case."""
    person = _save_person(data=data, submitted_at=submitted_at)
    intake = Intake.objects.create(
        serial=_next_serial(station=station, year=submitted_at.year),
        idempotency_key=idempotency_key_index(data.idempotency_key),
        payload_sha256=digest.keyed,
        program=program,
        program_version=definition.version,
        station=station,
        clerk=clerk,
        person=person,
        category=data.category,
        affiliation=data.affiliation,
        origin=data.origin,
        requested_destination=data.requested_destination,
        pledge_version=data.pledge.version,
        pledge_language=data.pledge.language,
        pledge_signed=data.pledge.signed,
        submitted_at=submitted_at,
    )
    _save_family(intake=intake, data=data, year=submitted_at.year)
    _save_items(intake=intake, data=data)
    return intake


def national_id_index(national_id: str, *, program: str) -> str:
    """The keyed index of a national number within one program: the same number in two
    programs gives two unrelated values, so a copy of the database cannot join them."""
    return blind_index(national_id, purpose=f"national_id:{program}")


def _save_person(*, data: IntakeIn, submitted_at: dt.datetime) -> Person:
    person_in = data.person
    age = age_at(birth_date=person_in.birth_date, when=submitted_at.date())
    fields = person_in.model_dump(exclude={"sex", "age_disputed"})
    return Person.objects.create(
        **fields,
        national_id_index=(
            national_id_index(person_in.national_id, program=data.program)
            if person_in.national_id
            else ""
        ),
        sex=person_in.sex,
        age_band=age_band(age),
        is_child=(age is not None and age < 18) or person_in.age_disputed,
        age_disputed=person_in.age_disputed,
    )


def age_at(*, birth_date: str, when: dt.date) -> int | None:
    """Age in whole years; a year-only birth date counts from 1 July (the middle)."""
    if not birth_date:
        return None
    born = (
        dt.date(int(birth_date), 7, 1)
        if len(birth_date) == 4
        else dt.date.fromisoformat(birth_date)
    )
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "unknown"


def _next_serial(*, station: Station, year: int) -> str:
    """A human-readable number per station and year: ALP1-2016-000042."""
    counter, _ = SerialCounter.objects.get_or_create(station=station, year=year)
    counter = SerialCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code.upper()}-{year}-{counter.last:06d}"


def _save_family(*, intake: Intake, data: IntakeIn, year: int) -> None:
    FamilyMember.objects.bulk_create(
        FamilyMember(
            intake=intake,
            relation=member.relation,
            name_ar=member.name_ar,
            name_lat=member.name_lat,
            sex=member.sex,
            birth_year=str(member.birth_year or ""),
            is_child=member.birth_year is not None and year - member.birth_year < 18,
            accompanying=member.accompanying,
        )
        for member in data.family
    )


def _save_items(*, intake: Intake, data: IntakeIn) -> None:
    SurrenderedItem.objects.bulk_create(
        SurrenderedItem(intake=intake, line=line, **item.model_dump())
        for line, item in enumerate(data.items, start=1)
    )


PERSON_FIELDS = (
    "given_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar", "mother_name_ar",
    "given_name_lat", "father_name_lat", "grandfather_name_lat", "family_name_lat",
    "mother_name_lat", "birth_date", "birth_place", "national_id", "national_id_index", "photo",
)  # fmt: skip


def intake_erase(*, intake: Intake) -> None:
    """Retention: blank every sealed personal field of the person, the family members and
    the documents surrendered; the intake and its serial stay."""
    Person.objects.filter(pk=intake.person_id).update(**dict.fromkeys(PERSON_FIELDS, ""))
    FamilyMember.objects.filter(intake=intake).update(name_ar="", name_lat="", birth_year="")
    SurrenderedItem.objects.filter(intake=intake).update(document_number="", description="")
