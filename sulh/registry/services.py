"""Registration of a person at a station: the intake service.

One call saves the whole submission or nothing. A retried submission with the
same idempotency key returns the case it created the first time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.accounts.models import Station, User
from sulh.accounts.policy import Action, allows
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.core.crypto import blind_index
from sulh.core.deferred import appends_at_end
from sulh.core.errors import (
    Conflict,
    IntakeWindowClosed,
    PermissionDenied,
    ValidationFailed,
)
from sulh.programs.definition import ProgramDefinition
from sulh.programs.models import Program
from sulh.programs.services import program_get, program_get_definition
from sulh.registry.models import FamilyMember, Intake, Person, SerialCounter, SurrenderedItem
from sulh.registry.schemas import IntakeIn

CLOCK_SKEW = dt.timedelta(minutes=5)
AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 200, "50+"),
)


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool  # False when an earlier submission with the same key is returned


def intake_register(*, data: IntakeIn, clerk: User, now: dt.datetime | None = None) -> IntakeResult:
    """Register a person: validate against the program, save everything, screen, propose."""
    now = now or timezone.now()
    digest = _payload_digest(data)
    earlier = _earlier_submission(key=data.idempotency_key, digest=digest)
    if earlier is not None:
        return IntakeResult(case=earlier, created=False)
    station = _intake_station(data=data, clerk=clerk)
    program = program_get(code=data.program)
    definition = program_get_definition(code=data.program)
    submitted_at = _submitted_at(data=data, now=now)
    _check_window(definition=definition, submitted_at=submitted_at)
    _check_against_program(data=data, definition=definition)
    try:
        with transaction.atomic(), appends_at_end():
            case = _save(
                data=data,
                clerk=clerk,
                station=station,
                program=program,
                definition=definition,
                submitted_at=submitted_at,
                digest=digest,
            )
            case_services.case_open(case=case, actor=clerk, at=now)
    except IntegrityError:
        # Two deliveries of one submission raced; the first one won.
        earlier = _earlier_submission(key=data.idempotency_key, digest=digest)
        if earlier is None:
            raise
        return IntakeResult(case=earlier, created=False)
    return IntakeResult(case=case, created=True)


def _payload_digest(data: IntakeIn) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _earlier_submission(*, key: str, digest: str) -> Case | None:
    intake = Intake.objects.filter(idempotency_key=key).select_related("case").first()
    if intake is None:
        return None
    if intake.payload_sha256 != digest:
        raise Conflict(
            "this idempotency key was used for a different submission", field="idempotency_key"
        )
    return intake.case


def _intake_station(*, data: IntakeIn, clerk: User) -> Station:
    if not allows(clerk, Action.REGISTER) or clerk.station is None:
        raise PermissionDenied("only a registration clerk may register intakes", field="user")
    if data.station and data.station != clerk.station.code:
        raise PermissionDenied("you register at your own station only", field="station")
    return clerk.station


def _submitted_at(*, data: IntakeIn, now: dt.datetime) -> dt.datetime:
    submitted = data.submitted_at or now
    if submitted > now + CLOCK_SKEW:
        raise ValidationFailed("is in the future", field="submitted_at")
    return submitted


def _check_window(*, definition: ProgramDefinition, submitted_at: dt.datetime) -> None:
    try:
        definition.check_open(submitted_at)
    except Exception as exc:
        if isinstance(exc, IntakeWindowClosed):
            raise
        raise IntakeWindowClosed(str(getattr(exc, "message", exc)), field="submitted_at") from exc


def _check_against_program(*, data: IntakeIn, definition: ProgramDefinition) -> None:
    known_categories = set(definition.known_categories())
    if data.category not in known_categories:
        raise ValidationFailed(
            f"must be one of {', '.join(sorted(known_categories))}", field="category"
        )
    affiliations = {affiliation.id for affiliation in definition.affiliations}
    if data.affiliation and data.affiliation not in affiliations:
        raise ValidationFailed(
            f"is not an affiliation known to program {definition.id}", field="affiliation"
        )
    destinations = {destination.id for destination in definition.destinations}
    if data.requested_destination and data.requested_destination not in destinations:
        raise ValidationFailed(
            f"is not a destination of program {definition.id}", field="requested_destination"
        )
    if data.pledge.version != definition.pledge.version:
        raise ValidationFailed(
            f"must be the program's pledge version {definition.pledge.version}",
            field="pledge.version",
        )


def _save(
    *,
    data: IntakeIn,
    clerk: User,
    station: Station,
    program: Program,
    definition: ProgramDefinition,
    submitted_at: dt.datetime,
    digest: str,
) -> Case:
    person = _save_person(data=data, submitted_at=submitted_at)
    intake = Intake.objects.create(
        serial=_next_serial(station=station, year=submitted_at.year),
        idempotency_key=data.idempotency_key,
        payload_sha256=digest,
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
    return Case.objects.create(
        intake=intake, program=program, station=station, state="", is_child=person.is_child
    )


def _save_person(*, data: IntakeIn, submitted_at: dt.datetime) -> Person:
    person_in = data.person
    age = age_at(birth_date=person_in.birth_date, when=submitted_at.date())
    fields = person_in.model_dump(exclude={"sex", "age_disputed"})
    return Person.objects.create(
        **fields,
        national_id_index=(
            blind_index(person_in.national_id, purpose="national_id")
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
        )
        for member in data.family
    )


def _save_items(*, intake: Intake, data: IntakeIn) -> None:
    SurrenderedItem.objects.bulk_create(
        SurrenderedItem(intake=intake, line=line, **item.model_dump())
        for line, item in enumerate(data.items, start=1)
    )
