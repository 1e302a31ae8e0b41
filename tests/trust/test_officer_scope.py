"""F10 (issue #16): an officer's account, used as an attacker would.

An officer of one program reads another program's cases by URL, list, search and API; a
scraper opens case after case; a vetting officer reads a child's identity in an adult's
match evidence. Each is now refused: 404 as for an unknown case, 429 and an alert, and a
restricted record with nothing in it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.test import Client

from sulh.accounts.models import CaseReadWindow, Service, User
from sulh.accounts.services import user_create
from sulh.audit.models import AuditEntry
from sulh.cases.exports import export_request
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.cases.search import person_search
from sulh.cases.serving import officer_serve
from sulh.cli import main as sulh_main
from sulh.core.errors import NotFound, ValidationFailed
from sulh.core.validation import parse
from sulh.matching.record import PersonRecord
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client
from tests.conftest import PASSWORD, make_intake

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2016, 10, 21, 9, tzinfo=dt.UTC)  # amnesty and evacuation both open
AMNESTY, EVACUATION = "aleppo-2016-amnesty", "aleppo-2016-evacuation"
DEFECTORS, DEFECTORS_WHEN = "aleppo-2024-defectors", dt.datetime(2024, 12, 3, 9, tzinfo=dt.UTC)
WITH_ID = [
    {"kind": "weapon", "weapon_type": "rifle", "serial_number": "AK551023"},
    {"kind": "id_document", "document_type": "military_id"},
]


def _register(clerk: User, program: str, when: dt.datetime = WHEN, **overrides: Any) -> Case:
    payload = make_intake(program, submitted_at=when.isoformat(), **overrides)
    return intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=when).case


def _api(user: User) -> Client:
    return api_client(user)


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _serves_only(user: User, program: str, *stations: str) -> None:
    Service.objects.filter(user=user).delete()
    for station in stations or ("",):
        officer_serve(username=user.username, program_code=program, station_code=station)


def _query(case: Case) -> PersonRecord:
    person = case.intake.person
    return PersonRecord(
        record_id="q",
        given_name=person.given_name_ar,
        family_name=person.family_name_ar,
        national_id=person.national_id,
    )


def test_an_officer_of_one_program_cannot_see_anothers_case_by_url_list_search_or_api(personas):
    mine = _register(personas["clerk"], AMNESTY)
    theirs = _register(personas["clerk"], EVACUATION, category="combatant", origin="non_local")
    vetter = personas["vetter"]
    _serves_only(vetter, AMNESTY)
    api, web = _api(vetter), _web(vetter)
    for path in ("/api/cases/{}", "/api/cases/{}/events", "/api/cases/{}/candidates"):
        assert api.get(path.format(mine.intake.serial)).status_code == 200
        refused = api.get(path.format(theirs.intake.serial))
        assert refused.status_code == 404, path  # as an unknown case: existence not confirmed
        assert refused.json() == api.get(path.format("NO-SUCH-1")).json() | {
            "error": refused.json()["error"]
        }
    assert web.get(f"/cases/{mine.intake.serial}/").status_code == 200
    assert web.get(f"/cases/{theirs.intake.serial}/").status_code == 404
    queue = web.get("/queue/").content.decode()
    assert theirs.intake.serial not in queue
    found = person_search(user=vetter, query=_query(theirs), purpose="checking a lead")
    assert theirs.pk not in {hit.case.pk for hit in found}
    assert mine.pk in {
        hit.case.pk
        for hit in person_search(user=vetter, query=_query(mine), purpose="checking a lead")
    }
    # the deciding officer who serves the other program sees it
    _serves_only(personas["decider"], EVACUATION)
    assert _api(personas["decider"]).get(f"/api/cases/{theirs.intake.serial}").status_code == 200


def test_an_officer_who_serves_no_program_sees_no_case(personas):
    case = _register(personas["clerk"], AMNESTY)
    newcomer = user_create(username="vetter-new", password=PASSWORD, role="vetting_officer")
    assert _api(newcomer).get(f"/api/cases/{case.intake.serial}").status_code == 404
    assert case.intake.serial not in _web(newcomer).get("/queue/").content.decode()
    assert person_search(user=newcomer, query=_query(case), purpose="checking a lead") == []


def test_where_the_program_says_so_an_officer_sees_only_the_stations_they_serve(personas):
    here = _register(
        personas["clerk"], DEFECTORS, DEFECTORS_WHEN, affiliation="army", items=WITH_ID
    )
    there = _register(
        personas["clerk2"], DEFECTORS, DEFECTORS_WHEN, affiliation="army", items=WITH_ID
    )
    vetter = personas["vetter"]
    _serves_only(vetter, DEFECTORS, "alp1")
    api = _api(vetter)
    assert api.get(f"/api/cases/{here.intake.serial}").status_code == 200
    assert api.get(f"/api/cases/{there.intake.serial}").status_code == 404
    # the program is served by station: serving it without one is refused, naming the field
    with pytest.raises(ValidationFailed) as refused:
        officer_serve(username=vetter.username, program_code=DEFECTORS)
    assert refused.value.field == "station"


def test_users_serve_from_the_command_line(personas, capsys):
    vetter = personas["vetter"]
    Service.objects.filter(user=vetter).delete()
    assert sulh_main(["users", "serve", vetter.username, "--program", AMNESTY]) == 0
    assert sulh_main(["users", "serve", vetter.username, "--program", DEFECTORS,
                      "--station", "alp2"]) == 0  # fmt: skip
    assert sulh_main(["users", "services", vetter.username]) == 0
    out = capsys.readouterr().out
    assert f"{AMNESTY}\t(every station)" in out and f"{DEFECTORS}\talp2" in out
    assert sulh_main(["users", "serve", vetter.username, "--program", DEFECTORS]) == 2
    assert "station" in capsys.readouterr().err
    assert sulh_main(["users", "serve", personas["clerk"].username, "--program", AMNESTY]) == 2
    assert sulh_main(["users", "unserve", vetter.username, "--program", AMNESTY]) == 0
    assert set(Service.objects.filter(user=vetter).values_list("program__code", flat=True)) == {
        DEFECTORS
    }
    assert AuditEntry.objects.filter(action="user.serve", obj_id=str(vetter.pk)).count() == 2


def test_scraping_case_pages_beyond_the_limit_is_refused_with_429_and_an_alert(
    personas, settings, caplog
):
    settings.SULH_CASE_READS, settings.SULH_CASE_READS_SECONDS = 5, 300
    serials = [_register(personas["clerk"], AMNESTY).intake.serial for _ in range(4)]
    vetter = personas["vetter"]
    api, web = _api(vetter), _web(vetter)
    guesses = [*serials, "AMN-GUESS-1"]  # refused reads count too: guessing is no cheaper
    answers = [api.get(f"/api/cases/{serial}").status_code for serial in guesses]
    assert answers == [200, 200, 200, 200, 404]
    with caplog.at_level(logging.WARNING, logger="sulh.alerts"):
        over = api.get(f"/api/cases/{serials[0]}")
        assert over.status_code == 429
        assert over.json()["error"]["code"] == "rate_limited"
        assert web.get(f"/cases/{serials[1]}/").status_code == 429
        assert web.get(f"/cases/{serials[1]}/").status_code == 429
    alerts = AuditEntry.objects.filter(action="alert.bulk_case_reads")
    assert alerts.count() == 1  # one alert per window, not one per refused read
    assert alerts.get().actor == vetter.username and alerts.get().obj_id == str(vetter.pk)
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "sulh.alerts")
    assert "bulk_case_reads" in logged
    for serial in serials:  # nothing of a case leaves in the alert
        assert serial not in logged and serial not in str(alerts.get().details)
    # another officer is not held back by the scraper
    assert _api(personas["decider"]).get(f"/api/cases/{serials[0]}").status_code == 200
    # after the window, the officer reads again
    CaseReadWindow.objects.filter(user=vetter).update(
        started_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )
    assert api.get(f"/api/cases/{serials[0]}").status_code == 200


def test_an_adults_match_evidence_shows_nothing_of_a_childs_registration(personas):
    shared = {"given_name_ar": "سامر", "father_name_ar": "وائل", "family_name_ar": "الدرويش",
              "mother_name_ar": "هدى", "national_id": "01234567891"}  # fmt: skip
    child = _register(personas["clerk"], AMNESTY, category="youth", person={
        **shared, "given_name_lat": "Sameer", "family_name_lat": "Darweesh",
        "birth_date": "2002-03-03",
    })  # fmt: skip
    assert child.is_child
    adult = _register(personas["clerk"], AMNESTY, person={
        **shared, "given_name_lat": "Samer", "family_name_lat": "al-Darwish",
        "birth_date": "1988-04-03",
    })  # fmt: skip
    candidate = adult.candidates.get()
    assert candidate.other_case == child  # the matcher found the child's registration
    secrets = ["Sameer", "Darweesh", "2002-03-03", "2002", child.intake.serial]
    vetter = personas["vetter"]
    page = _web(vetter).get(f"/cases/{adult.intake.serial}/").content.decode()
    assert 'class="note restricted"' in page  # only that a restricted record exists
    for secret in secrets:
        assert secret not in page, secret
    listed = _api(vetter).get(f"/api/cases/{adult.intake.serial}/candidates").json()
    assert [(c["restricted"], c["other_case"], c["evidence"]) for c in listed] == [
        ("child", None, [])
    ]
    for secret in secrets:
        assert secret not in str(listed)
    # the vetting officer can still clear or link it, on child protection's word
    resolved = _api(vetter).post(
        f"/api/candidates/{candidate.pk}/resolve",
        data={"decision": "clear", "reason": "child protection says not the same person"},
        content_type="application/json",
    )
    assert resolved.status_code == 200 and resolved.json()["evidence"] == []
    # an adult's match against another adult still shows its evidence
    twin = _register(personas["clerk"], AMNESTY, person={
        **shared, "given_name_lat": "Samer", "family_name_lat": "al-Darwish",
        "birth_date": "1988-04-03",
    })  # fmt: skip
    rows = _api(vetter).get(f"/api/cases/{twin.intake.serial}/candidates").json()
    shown = [row for row in rows if row["other_case"] == adult.intake.serial]
    assert shown and shown[0]["evidence"] and shown[0]["restricted"] == ""


def test_a_match_outside_the_officers_programs_is_restricted_too(personas):
    person = {"given_name_ar": "ياسر", "father_name_ar": "علي", "family_name_ar": "النجار",
              "mother_name_ar": "رنا", "given_name_lat": "Yaser", "family_name_lat": "al-Najjar",
              "birth_date": "1984-06-07", "national_id": "09876543210"}  # fmt: skip
    other = _register(personas["clerk"], EVACUATION, origin="non_local", person=person)
    adult = _register(personas["clerk"], AMNESTY, person=person)
    assert any(c.other_case == other for c in adult.candidates.all())
    _serves_only(personas["vetter"], AMNESTY)
    rows = _api(personas["vetter"]).get(f"/api/cases/{adult.intake.serial}/candidates").json()
    assert [(r["restricted"], r["other_case"], r["evidence"]) for r in rows] == [
        ("out_of_scope", None, [])
    ]


def test_a_manager_exports_only_the_programs_they_serve(personas):
    manager = personas["manager"]
    _serves_only(manager, AMNESTY)
    export_request(user=manager, program_code=AMNESTY, purpose="handover to the court registry")
    with pytest.raises(NotFound) as refused:
        export_request(user=manager, program_code=EVACUATION, purpose="handover to the court")
    assert refused.value.field == "program"
    answer = _api(manager).post(
        "/api/exports",
        data={"program": EVACUATION, "purpose": "handover to the court registry"},
        content_type="application/json",
    )
    assert answer.status_code == 404


def test_the_admin_site_manages_services_and_refuses_one_without_its_station(personas):
    from django.core.exceptions import ValidationError

    from sulh.accounts.admin import ServiceInline, StaffAdmin
    from sulh.programs.models import Program

    assert ServiceInline in StaffAdmin.inlines
    service = Service(user=personas["vetter"], program=Program.objects.get(code=DEFECTORS))
    with pytest.raises(ValidationError) as refused:
        service.clean()
    assert "station" in refused.value.message_dict
    Service(user=personas["vetter"], program=Program.objects.get(code=AMNESTY)).clean()
