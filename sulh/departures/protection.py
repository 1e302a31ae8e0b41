"""After arrival and in transit: protection cases for whoever is not accounted for, and
the stranded timer.

When the receiving side has finished scanning (``arrivals_close``), everyone who boarded
and has no arrival, removal or return recorded by name opens a protection case, visible
to the monitor (keys only; who they are is encrypted to each enrolled monitor's key). A
later arrival scan closes it. A ``stranded`` incident starts a timer that runs until the
convoy resumes (``convoy_resume``) or arrives; over the program's
``stranded_alert_hours`` it raises ``convoy_stranded_over_limit`` once
(``stranded_overdue_alert``, run by ``sulh departures stranded-check``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from sulh.accounts.models import User
from sulh.accounts.policy import Action, program_bound, require
from sulh.audit.alerts import ALERT_PREFIX, alert_raise
from sulh.audit.models import AuditEntry
from sulh.core.errors import Conflict, ValidationFailed
from sulh.departures.manifests import manifest_sealed_to
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    ConvoyState,
    IncidentKind,
    ProtectionCase,
    SealedManifest,
    Traveller,
    TravellerStatus,
)
from sulh.departures.services import convoy_event_record, convoy_locked, definition_of
from sulh.keys.models import MonitorKey

OVER_LIMIT = "convoy_stranded_over_limit"


def _monitor_copies(traveller: Traveller) -> dict[str, dict]:
    """The traveller's line of their vehicle's sealed manifest, encrypted to each monitor."""
    assert traveller.vehicle_id is not None
    manifest = SealedManifest.objects.filter(vehicle_id=traveller.vehicle_id).first()
    if manifest is None:
        return {}
    document = json.loads(manifest.document)
    line = [t for t in document["travellers"] if t["traveller"] == traveller.pk]
    part = {**document, "travellers": line}
    return {  # the whole bus's hash and log leaf, that one line of it
        monitor.name: manifest_sealed_to(manifest, monitor, document=part)
        for monitor in MonitorKey.objects.order_by("pk")
    }


def arrivals_close(*, convoy: Convoy, user: User, at: dt.datetime) -> list[ProtectionCase]:
    """The receiving side finished scanning an arrived convoy: each traveller aboard with
    no arrival, removal or return recorded opens a protection case, with an alert."""
    require(user, Action.RECORD_CONVOY_MOVEMENT)
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.ARRIVED])
        if convoy.arrivals_closed_at is not None:
            raise Conflict("the convoy's arrivals are already closed", field="convoy")
        if convoy.arrived_at and at < convoy.arrived_at:
            raise ValidationFailed("is before the convoy arrived", field="at")
        aboard = Traveller.objects.filter(vehicle__convoy=convoy, status=TravellerStatus.BOARDED)
        opened = [
            _case_open(traveller, convoy=convoy, user=user, at=at)
            for traveller in aboard.select_related("vehicle").order_by("pk")
        ]
        convoy.arrivals_closed_at = at
        convoy.save(update_fields=["arrivals_closed_at"])
        convoy_event_record(
            convoy, event="arrivals_closed", actor=user, at=at, protection_cases=len(opened)
        )
        if opened:
            alert_raise(
                actor=user,
                kind="protection_case_opened",
                details={"convoy": convoy.pk, "count": len(opened)},
            )
    return opened


def _case_open(
    traveller: Traveller, *, convoy: Convoy, user: User, at: dt.datetime
) -> ProtectionCase:
    assert traveller.vehicle is not None
    return ProtectionCase.objects.create(
        traveller=traveller,
        convoy=convoy,
        vehicle=traveller.vehicle,
        opened_at=at,
        opened_by=user,
        monitor_copies=_monitor_copies(traveller),
    )


def protection_case_close(traveller: Traveller, *, user: User, at: dt.datetime, how: str) -> None:
    """A traveller with an open protection case was found (scanned on arrival): it closes."""
    ProtectionCase.objects.filter(traveller=traveller, closed_at__isnull=True).update(
        closed_at=at, closed_how=how
    )


def protection_cases_for_user(*, user: User, open_only: bool = True) -> QuerySet[ProtectionCase]:
    """The protection cases of the convoys ``user`` may see the counts of (the monitor,
    the coordinator, the program manager), newest first: keys, times and the copies
    encrypted to the monitors, never a name."""
    require(user, Action.SEE_CONVOY_COUNTS)
    cases = ProtectionCase.objects.select_related("convoy", "vehicle").order_by("-opened_at", "-pk")
    if open_only:
        cases = cases.filter(closed_at__isnull=True)
    if program_bound(user):
        cases = cases.filter(convoy__program__in=user.services.values("program"))
    return cases


# --- Stranded ------------------------------------------------------------------------------


def convoy_resume(*, convoy: Convoy, user: User, at: dt.datetime) -> ConvoyEvent:
    """A stranded convoy moves again: its stranded timer stops."""
    require(user, Action.RECORD_CONVOY_MOVEMENT)
    with transaction.atomic():
        convoy = convoy_locked(convoy, states=[ConvoyState.DEPARTED])
        if not _stranded_since(convoy):
            raise Conflict("the convoy is not stranded", field="convoy")
        return convoy_event_record(convoy, event="resumed", actor=user, at=at)


@dataclass(frozen=True)
class StrandedTimer:
    convoy: int
    event: int  # the stranded incident's key
    since: dt.datetime
    until: dt.datetime | None  # when it resumed or arrived; None while stranded
    minutes: int
    limit_hours: int
    over_limit: bool


def _stranded_since(convoy: Convoy) -> list[ConvoyEvent]:
    """The convoy's stranded incidents not followed by a resumption or its arrival."""
    open_: list[ConvoyEvent] = []
    for event in convoy.events.filter(
        event__in=[IncidentKind.STRANDED, "resumed", "arrived"]
    ).order_by("at", "pk"):
        if event.event == IncidentKind.STRANDED:
            open_.append(event)
        else:
            open_.clear()
    return open_


def stranded_timers(*, convoy: Convoy, now: dt.datetime) -> list[StrandedTimer]:
    """How long each stranded incident of the convoy lasted (or has lasted, if it still
    does), against the program's limit."""
    limit = definition_of(convoy.program_id).stranded_alert_hours
    timers = []
    stranded: ConvoyEvent | None = None
    events = convoy.events.filter(event__in=[IncidentKind.STRANDED, "resumed", "arrived"])
    for event in [*events.order_by("at", "pk"), None]:
        if stranded is not None and (event is None or event.event != IncidentKind.STRANDED):
            until = event.at if event is not None else None
            minutes = int(((until or now) - stranded.at).total_seconds() // 60)
            timers.append(
                StrandedTimer(
                    convoy=convoy.pk, event=stranded.pk, since=stranded.at, until=until,
                    minutes=minutes, limit_hours=limit, over_limit=minutes > limit * 60,
                )
            )  # fmt: skip
            stranded = None
        if event is not None and event.event == IncidentKind.STRANDED and stranded is None:
            stranded = event
    return timers


def stranded_overdue_alert(*, now: dt.datetime, user: User | None = None) -> int:
    """Raise ``convoy_stranded_over_limit`` once for each convoy still stranded for longer
    than its program allows; returns how many were raised now."""
    raised = 0
    alerted = {
        entry.details.get("event")
        for entry in AuditEntry.objects.filter(action=f"{ALERT_PREFIX}{OVER_LIMIT}")
    }
    for convoy in Convoy.objects.filter(state=ConvoyState.DEPARTED):
        for timer in stranded_timers(convoy=convoy, now=now):
            if timer.until is None and timer.over_limit and timer.event not in alerted:
                alert_raise(
                    actor=user,
                    kind=OVER_LIMIT,
                    details={"convoy": convoy.pk, "event": timer.event, "minutes": timer.minutes},
                )
                raised += 1
    return raised
