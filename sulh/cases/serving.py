"""Which programs (and stations) an officer serves: who sees which cases
(``sulh.accounts.policy``, PROGRAM_BOUND; ``sulh.cases.selectors.cases_visible_to``).

Managed by ``sulh users serve|unserve|services`` and the admin site; every change is an
audit entry.
"""

from __future__ import annotations

from django.db import transaction

from sulh.accounts.models import Service, Station, User
from sulh.accounts.policy import program_bound, program_scope_stations
from sulh.audit.services import audit_record
from sulh.core.errors import NotFound, ValidationFailed
from sulh.programs.models import Program
from sulh.programs.services import program_get, program_get_definition


def _officer(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no account {username!r}", field="username")
    if not program_bound(user):
        raise ValidationFailed(
            f"a {user.get_role_display()} is not bound to programs: nothing to serve",
            field="username",
        )
    return user


def _station(code: str) -> Station | None:
    if not code:
        return None
    station = Station.objects.filter(code=code).first()
    if station is None:
        raise NotFound(f"no station {code!r}", field="station")
    return station


def _checked(program: Program, station: Station | None) -> None:
    by_station = program_scope_stations(program_get_definition(code=program.code).officer_scope)
    if by_station and station is None:
        raise ValidationFailed(
            f"program {program.code} is served at named stations: give --station", field="station"
        )
    if not by_station and station is not None:
        raise ValidationFailed(
            f"program {program.code} is served as a whole: leave out --station", field="station"
        )


def officer_serve(*, username: str, program_code: str, station_code: str = "") -> Service:
    """Let ``username`` see ``program_code``'s cases (at ``station_code`` where the program
    is served by station). Idempotent."""
    user, program = _officer(username), program_get(code=program_code)
    station = _station(station_code)
    _checked(program, station)
    with transaction.atomic():
        service, created = Service.objects.get_or_create(
            user=user, program=program, station=station
        )
        if created:
            audit_record(
                actor=None, action="user.serve", obj_type="user", obj_id=str(user.pk),
                details={"program": program.code, "station": station.code if station else ""},
            )  # fmt: skip
    return service


def officer_unserve(*, username: str, program_code: str, station_code: str = "") -> int:
    """Stop ``username`` seeing the program's cases (at one station, or everywhere when no
    station is given); how many services ended."""
    user, program = _officer(username), program_get(code=program_code)
    services = Service.objects.filter(user=user, program=program)
    if station_code:
        services = services.filter(station=_station(station_code))
    with transaction.atomic():
        ended, _ = services.delete()
        if ended:
            audit_record(
                actor=None, action="user.unserve", obj_type="user", obj_id=str(user.pk),
                details={"program": program.code, "station": station_code, "ended": ended},
            )  # fmt: skip
    return ended


def officer_services(*, username: str) -> list[tuple[str, str]]:
    """(program, station or "") for every service of ``username``."""
    user = _officer(username)
    rows = Service.objects.filter(user=user).select_related("program", "station")
    return sorted((s.program.code, s.station.code if s.station else "") for s in rows)
