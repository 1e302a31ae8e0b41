"""After arrival and in transit: a protection case for whoever is not accounted for when
arrivals close (visible to the monitor, closed by a later arrival scan), the stranded
timer against the program's limit, an arrival elsewhere as a deviation; the records a
monitor recounts; each refusal naming its field and changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.audit.models import AuditEntry
from sulh.bulletins.figures import program_figures
from sulh.core.errors import SulhError
from sulh.departures import movement, protection
from sulh.departures.manifest import copy_open
from sulh.departures.models import ConvoyEvent, ProtectionCase
from sulh.departures.records import departure_figures, departures_reconcile
from sulh.departures.selectors import convoy_alerts, convoy_reconcile
from sulh.ledger.publication import live_records
from tests.departures.conftest import AT, SAFE_PASSAGE, refused

pytestmark = pytest.mark.django_db
LATER = AT + dt.timedelta(hours=2)


def _aboard(made, number):
    return list(made.vehicles.get(number=number).travellers.filter(status="boarded").order_by("pk"))


def _arrive_all_but(personas, made, missing):
    coordinator = personas["coordinator"]
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    for number in (1, 2):
        for traveller in _aboard(made, number):
            if traveller.pk not in missing:
                movement.arrival_record(
                    traveller=traveller, user=coordinator, at=LATER,
                    device_event_id=f"arrive:{traveller.pk}",
                )  # fmt: skip


def test_whoever_is_unaccounted_for_opens_a_case_the_monitor_sees(personas, departed, monitor_keys):
    made, _ = departed
    missing = _aboard(made, 1)[0]
    _arrive_all_but(personas, made, {missing.pk})
    opened = protection.arrivals_close(convoy=made, user=personas["coordinator"], at=LATER)
    assert [case.traveller_id for case in opened] == [missing.pk]
    seen = protection.protection_cases_for_user(user=personas["monitor"])
    assert [case.traveller_id for case in seen] == [missing.pk]
    copy = seen[0].monitor_copies["Test monitor"]
    _, manifest, opening = copy_open(copy, monitor_keys)
    assert [t["traveller"] for t in manifest["travellers"]] == [missing.pk]
    assert opening["record"]["manifest"] == copy["manifest_sha256"]  # the whole bus's list
    assert "protection_case_opened" in {a.kind for a in convoy_alerts(convoy=made)}
    figures = program_figures(program_code=SAFE_PASSAGE)["departures"]
    assert (figures["arrived"], figures["unaccounted"]) == (3, 1)
    assert departures_reconcile(figures)
    counts = convoy_reconcile(convoy=made).total
    assert (counts.arrived, counts.unaccounted) == (figures["arrived"], figures["unaccounted"])
    # found later: the scan closes the case
    movement.arrival_record(
        traveller=missing, user=personas["coordinator"], at=LATER, device_event_id="late:1"
    )
    assert protection.protection_cases_for_user(user=personas["monitor"]).count() == 0
    assert ProtectionCase.objects.get().closed_how == "arrived"


def test_arrivals_close_once_and_only_after_arrival(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    refused("convoy", protection.arrivals_close, convoy=made, user=coordinator, at=LATER)
    movement.convoy_arrive(convoy=made, user=coordinator, at=LATER)
    refused("at", protection.arrivals_close, convoy=made, user=coordinator, at=AT)
    assert ProtectionCase.objects.count() == 0
    protection.arrivals_close(convoy=made, user=coordinator, at=LATER)
    before = ProtectionCase.objects.count()
    refused("convoy", protection.arrivals_close, convoy=made, user=coordinator, at=LATER)
    assert ProtectionCase.objects.count() == before == 4
    with pytest.raises(SulhError) as caught:
        protection.protection_cases_for_user(user=personas["clerk"])
    assert caught.value.field == "user"


def test_removals_and_incidents_are_logged_for_a_recount(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    bus = made.vehicles.get(number=1)
    movement.incident_record(
        convoy=made, user=coordinator, kind="stopped", at=AT + dt.timedelta(hours=1),
        note="checkpoint", duration_minutes=90,
    )  # fmt: skip
    movement.incident_record(
        convoy=made, user=coordinator, kind="removed", at=AT + dt.timedelta(hours=1),
        vehicle=bus, count=2,
    )  # fmt: skip
    incidents = [r for r in live_records() if r and r["event"] == "convoy_incident"]
    assert [(r["kind"], r["count"]) for r in incidents] == [("stopped", 0), ("removed", 2)]
    assert "checkpoint" not in str(incidents)
    figures = departure_figures(live_records(), program=SAFE_PASSAGE)
    assert figures is not None
    assert (figures["removed"], figures["unaccounted"]) == (2, 2)
    assert departures_reconcile(figures)


def test_a_stranded_convoy_is_timed_and_alerts_once_over_the_limit(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    since = AT + dt.timedelta(hours=1)
    movement.incident_record(convoy=made, user=coordinator, kind="stranded", at=since)
    [timer] = protection.stranded_timers(convoy=made, now=since + dt.timedelta(hours=5))
    assert (timer.minutes, timer.limit_hours, timer.over_limit, timer.until) == (
        300,
        12,
        False,
        None,
    )
    assert (
        protection.stranded_overdue_alert(now=since + dt.timedelta(hours=5), user=coordinator) == 0
    )
    late = since + dt.timedelta(hours=13)
    assert protection.stranded_overdue_alert(now=late, user=coordinator) == 1
    assert protection.stranded_overdue_alert(now=late, user=coordinator) == 0
    assert AuditEntry.objects.filter(action="alert.convoy_stranded_over_limit").count() == 1
    protection.convoy_resume(convoy=made, user=coordinator, at=late)
    [timer] = protection.stranded_timers(convoy=made, now=late + dt.timedelta(hours=10))
    assert (timer.minutes, timer.until) == (13 * 60, late)
    refused("convoy", protection.convoy_resume, convoy=made, user=coordinator, at=late)


def test_the_stranded_limit_is_the_programs(personas, departed, monkeypatch):
    made, _ = departed
    coordinator = personas["coordinator"]
    definition = protection.definition_of(made.program_id)
    monkeypatch.setattr(
        protection, "definition_of",
        lambda _: definition.model_copy(update={"stranded_alert_hours": 2}),
    )  # fmt: skip
    movement.incident_record(convoy=made, user=coordinator, kind="stranded", at=AT)
    [timer] = protection.stranded_timers(convoy=made, now=AT + dt.timedelta(hours=3))
    assert timer.over_limit and timer.limit_hours == 2


def test_an_arrival_elsewhere_is_a_deviation(personas, departed):
    made, _ = departed
    coordinator = personas["coordinator"]
    refused(
        "place", movement.convoy_arrive, convoy=made, user=coordinator, at=LATER, place="x" * 121
    )
    refused("at", movement.convoy_arrive, convoy=made, user=coordinator, at=AT, place="idlib")
    assert ConvoyEvent.objects.filter(event="arrived").count() == 0
    event = movement.convoy_arrive(convoy=made, user=coordinator, at=LATER, place="idlib")
    made.refresh_from_db()
    assert made.arrived_place == "idlib" and event.details["deviation"] is True
    assert "convoy_deviation" in {a.kind for a in convoy_alerts(convoy=made)}
    [record] = [r for r in live_records() if r and r["event"] == "convoy_arrived"]
    assert (record["destination"], record["deviation"]) == ("idlib", 1)


def test_an_arrival_at_the_destination_is_no_deviation(personas, departed):
    made, _ = departed
    movement.convoy_arrive(
        convoy=made, user=personas["coordinator"], at=LATER, place=made.destination
    )
    made.refresh_from_db()
    assert made.arrived_place == ""
    assert "convoy_deviation" not in {a.kind for a in convoy_alerts(convoy=made)}


def test_an_incident_on_an_arrived_convoy_is_refused_and_not_logged(personas, departed):
    made, _ = departed
    movement.convoy_arrive(convoy=made, user=personas["coordinator"], at=LATER)
    before = len(live_records())
    refused(
        "convoy", movement.incident_record, convoy=made, user=personas["coordinator"],
        kind="stranded", at=LATER,
    )  # fmt: skip
    assert len(live_records()) == before
