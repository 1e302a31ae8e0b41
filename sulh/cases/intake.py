"""Registration of a person at a station: the intake service.

One call saves the whole submission or nothing: the registry saves the person and the
intake, the case is opened and screened, all in one transaction. A retried submission with
the same idempotency key returns the case it created the first time.

The registration time is the server's clock: it places the intake in the program's window
and on the intake. A station may send its own clock's ``submitted_at``; it is accepted
within ``SULH_INTAKE_CLOCK_SKEW_SECONDS`` of the server's and kept only as the station's
claim (``Case.station_claimed_at``), never to place the case in a window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.accounts.models import Station, User
from sulh.accounts.policy import Action, allows
from sulh.audit.services import audit_record
from sulh.cases.models import Case
from sulh.cases.selectors import cases_visible_to, read_budget_take
from sulh.cases.services import case_open
from sulh.core.deferred import appends_at_end
from sulh.core.errors import Conflict, IntakeWindowClosed, PermissionDenied, ValidationFailed
from sulh.programs.definition import ProgramDefinition
from sulh.programs.services import program_get, program_get_definition
from sulh.registry.schemas import IntakeIn
from sulh.registry.services import (
    KEY_TAKEN,
    IntakeDigest,
    intake_digest,
    intake_find,
    intake_save,
)


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool  # False when an earlier submission with the same key is returned
    visible: bool = True  # False: a replay of a case the clerk may no longer open


def intake_register(*, data: IntakeIn, clerk: User, now: dt.datetime | None = None) -> IntakeResult:
    """Register a person: validate against the program, save everything, screen, propose.
    ``now`` is the server's clock (a parameter for simulations: the demo, the tests)."""
    now = now or timezone.now()
    digest = intake_digest(data)
    station = _intake_station(data=data, clerk=clerk)
    earlier = _earlier_submission(key=data.idempotency_key, digest=digest, clerk=clerk)
    if earlier is not None:
        return earlier
    program = program_get(code=data.program)
    definition = program_get_definition(code=data.program)
    claimed_at = _station_claim(data=data, now=now)
    _check_window(definition=definition, submitted_at=now)
    _check_against_program(data=data, definition=definition)
    try:
        with transaction.atomic(), appends_at_end():
            intake = intake_save(
                data=data,
                clerk=clerk,
                station=station,
                program=program,
                definition=definition,
                submitted_at=now,
                digest=digest,
            )
            case = Case.objects.create(
                intake=intake, program=program, station=station, state="",
                is_child=intake.person.is_child, station_claimed_at=claimed_at,
            )  # fmt: skip
            case_open(case=case, actor=clerk, at=now)
    except IntegrityError:
        # Two deliveries of one submission raced; the first one won.
        earlier = _earlier_submission(key=data.idempotency_key, digest=digest, clerk=clerk)
        if earlier is None:
            raise
        return earlier
    return IntakeResult(case=case, created=True)


def _earlier_submission(*, key: str, digest: IntakeDigest, clerk: User) -> IntakeResult | None:
    """The case an earlier delivery of this submission opened, for the clerk who sent it
    from the same station only: anyone else holding a copy of the submission (another
    station's clerk, a captured request) is told the key is taken, as for a different
    submission, and learns nothing of the case. The answer is a case read (counted and
    audited); a case the clerk may no longer open (a child's) is answered without its
    state, proposal or outcome."""
    intake = intake_find(key=key, digest=digest)
    if intake is None:
        return None
    if intake.clerk_id != clerk.pk or intake.station_id != clerk.station_id:
        raise Conflict(KEY_TAKEN, field="idempotency_key")
    read_budget_take(user=clerk)
    case = intake.case
    audit_record(
        actor=clerk, action="case.read", obj_type="case", obj_id=str(case.pk),
        purpose="intake delivered again",
    )  # fmt: skip
    visible = cases_visible_to(user=clerk).filter(pk=case.pk).exists()
    return IntakeResult(case=case, created=False, visible=visible)


def _intake_station(*, data: IntakeIn, clerk: User) -> Station:
    if not allows(clerk, Action.REGISTER) or clerk.station is None:
        raise PermissionDenied("only a registration clerk may register intakes", field="user")
    if data.station and data.station != clerk.station.code:
        raise PermissionDenied("you register at your own station only", field="station")
    return clerk.station


def _station_claim(*, data: IntakeIn, now: dt.datetime) -> dt.datetime | None:
    """The station's ``submitted_at``, if it sent one within the allowed skew."""
    claim = data.submitted_at
    if claim is None:
        return None
    skew = dt.timedelta(seconds=settings.SULH_INTAKE_CLOCK_SKEW_SECONDS)
    if abs(claim - now) > skew:
        seconds = int(skew.total_seconds())
        allowed = f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"
        raise ValidationFailed(
            f"differs from the server's clock by more than {allowed}: the server "
            "registers at its own time; correct the station's clock or leave the field out",
            field="submitted_at",
        )
    return claim


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
    photo = definition.card.photo
    if photo == "required" and not data.person.photo:
        raise ValidationFailed(
            f"program {definition.id} requires the holder's photo: take it", field="person.photo"
        )
    if photo == "none" and data.person.photo:
        raise ValidationFailed(
            f"program {definition.id} takes no photo: leave it out", field="person.photo"
        )
