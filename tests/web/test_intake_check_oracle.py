"""F8 and F9 of the red-team review: the look-alike check at intake and the search are
not oracles. A clerk learns from ``/intake/check/`` only what the clerk could open anyway
(adults registered at the clerk's own station), never whether someone is registered
elsewhere, is a child, or is on a list; and neither the check nor the search can sweep
names or birth years past the account's budget without an alert."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.test import Client

from sulh.audit.models import AuditEntry
from sulh.cases.lists import list_import
from sulh.matching.batch import COLUMNS

pytestmark = pytest.mark.django_db
PROGRAM = "demo-open-defectors"
SAMER = {"given_name_lat": "Samer", "family_name_lat": "al-Darwish", "birth_date": "03/04/1988"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _register(clerk: Client, version: int, *, given: str, family: str, birth: str) -> str:
    form = {
        "program": PROGRAM, "pledge_version": version,
        "given_name_lat": given, "family_name_lat": family, "given_name_ar": "", "family_name_ar": "",
        "birth_date": birth, "sex": "male", "category": "combatant", "affiliation": "army",
        "origin": "local", "pledge_language": "ar", "pledge_signed": "on",
    }  # fmt: skip
    response = clerk.post("/intake/", form)
    assert response.status_code == 302, response.content.decode()[:1500]
    return response["location"].split("/")[2]


def _import_wanted(tmp_path: Path, *, birth: str) -> None:
    """A wanted list naming one made-up man, Khaled Nasser, born ``birth``."""
    path = tmp_path / "wanted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "aliases"])
        writer.writerow(["W-9", "Khaled", "", "Nasser", "", "", birth, "", "", ""])
    list_import(path=path, name="wanted", user=None)


def _check(clerk: Client, **data: str):
    return clerk.post("/intake/check/", data)


def test_a_clerk_learns_nothing_of_other_stations_children_or_lists(
    personas, open_program, tmp_path
):
    version = open_program.pledge.version
    here, there = _client(personas["clerk"]), _client(personas["clerk2"])
    _register(here, version, given="Samer", family="al-Darwish", birth="03/04/1988")
    _register(here, version, given="Rami", family="Haddad", birth="05/06/2011")  # a child
    # At the station that registered him, the desk is warned of a second registration.
    assert _check(here, **SAMER).json() == {"duplicates": 1}
    # The attack: a clerk at another station asks about a person registered elsewhere.
    assert _check(there, **SAMER).json() == {"duplicates": 0}
    # Nor does the registering station's clerk learn that a child is registered.
    child = {"given_name_lat": "Rami", "family_name_lat": "Haddad", "birth_date": "05/06/2011"}
    assert _check(here, **child).json() == {"duplicates": 0}
    # Nor whether a person is on a list: a listed name and an unlisted one answer alike.
    _import_wanted(tmp_path, birth="1979")
    listed = {"given_name_lat": "Khaled", "family_name_lat": "Nasser", "birth_date": "1979"}
    unlisted = {"given_name_lat": "Yusuf", "family_name_lat": "Qadri", "birth_date": "1979"}
    assert _check(there, **listed).json() == _check(there, **unlisted).json() == {"duplicates": 0}
    entry = AuditEntry.objects.filter(action="intake_precheck").order_by("-seq").first()
    assert entry.details == {"duplicates": 0}  # counts only, never the names asked


def test_a_birth_year_sweep_at_the_desk_is_refused_and_raises_an_alert(
    personas, open_program, settings
):
    settings.SULH_INTAKE_CHECKS = 10
    version = open_program.pledge.version
    clerk = _client(personas["clerk"])
    serial = _register(clerk, version, given="Samer", family="al-Darwish", birth="03/04/1988")
    answers = [
        _check(clerk, given_name_lat="Samer", family_name_lat="al-Darwish", birth_date=str(year))
        for year in range(1970, 2000)
    ]
    codes = [answer.status_code for answer in answers]
    assert codes[:10] == [200] * 10 and set(codes[10:]) == {429}  # 1988 is never reached
    assert all(answer.json() == {"duplicates": 0} for answer in answers[:10])
    assert "look-alike checks" in answers[-1].json()["error"]
    alerts = AuditEntry.objects.filter(action="alert.bulk_intake_checks")
    assert alerts.count() == 1  # once per window, not once per refused check
    # Opening cases is a budget of its own: the clerk can still open the case registered.
    assert clerk.get(f"/cases/{serial}/").status_code == 200


def test_a_search_sweep_runs_into_the_case_read_limit(personas, open_program, settings):
    settings.SULH_CASE_READS = 8
    version = open_program.pledge.version
    clerk = _client(personas["clerk"])
    for given, family in [("Samer", "Darwish"), ("Samir", "Darwish"), ("Sameer", "Darwish")]:
        _register(clerk, version, given=given, family=family, birth="03/04/1988")
    vetter = _client(personas["vetter"])
    query = {
        "given_name": "Samer",
        "family_name": "Darwish",
        "birth_date": "1988",
        "purpose": "tip-off check",
    }
    first = vetter.post("/search/", query)
    assert first.status_code == 200 and first.content.decode().count('href="/cases/') == 3
    # Three people shown cost three reads; each search that shows nobody still costs one.
    names = ["Omar Haddad", "Ali Nasser", "Ziad Qadri", "Fadi Saleh", "Tarek Aziz", "Nabil Sabbagh"]
    codes = []
    for name in names:
        given, family = name.split()
        codes.append(
            vetter.post(
                "/search/", {**query, "given_name": given, "family_name": family}
            ).status_code
        )
    assert codes == [200] * 5 + [429]
    assert AuditEntry.objects.filter(action="alert.bulk_case_reads").count() == 1
    # And the refused search showed no one.
    refused = vetter.post("/search/", query)
    assert refused.status_code == 429 and "ALP1-" not in refused.content.decode()


def test_the_answer_to_a_registration_tells_the_desk_nothing_of_the_screening(
    personas, open_program, tmp_path
):
    """Third red-team review: registering a probe answered ``in_review`` for a person on a
    list or registered at another station (a child's registration too) and ``screened``
    otherwise, and the case's events said so: the registration itself was the oracle."""
    from sulh.cases.models import Case
    from sulh.cases.review import candidate_resolve
    from tests.clients import api_client
    from tests.conftest import make_intake

    _register(_client(personas["clerk"]), open_program.pledge.version,
              given="Samer", family="al-Darwish", birth="03/04/1988")  # fmt: skip
    _import_wanted(tmp_path, birth="1979-05-05")
    desk = api_client(personas["clerk2"])  # another station
    answers, serials = {}, {}
    for label, given, family, birth in [
        ("registered elsewhere", "Samer", "al-Darwish", "1988-04-03"),
        ("listed", "Khaled", "Nasser", "1979-05-05"),
        ("nobody", "Yusuf", "Qadri", "1979-05-05"),
    ]:
        body = make_intake(PROGRAM, person={"given_name_lat": given, "family_name_lat": family,
                                            "birth_date": birth})  # fmt: skip
        answer = desk.post("/api/intakes", body, content_type="application/json").json()
        serial = serials[label] = answer["serial"]
        events = desk.get(f"/api/cases/{serial}/events").json()
        # an appeal asked too early is refused alike, without naming the state (the third
        # red-team review read "in review" from that refusal)
        appeal = desk.post(f"/api/cases/{serial}/appeal", {"reason": "asking early"},
                           content_type="application/json")  # fmt: skip
        page = _client(personas["clerk2"]).get(f"/cases/{serial}/").content.decode()
        answers[label] = (
            answer["state"], answer["proposal"], [e["to_state"] for e in events],
            appeal.status_code, appeal.json()["error"]["message"],
            "Proposed outcome" in page or "rule" in page,
        )  # fmt: skip
        truth = Case.objects.get(intake__serial=answer["serial"]).state
        assert truth == ("screened" if label == "nobody" else "in_review"), label
    assert answers["registered elsewhere"] == answers["listed"] == answers["nobody"]
    assert answers["nobody"][0] == "screened" and answers["nobody"][1] is None
    assert answers["nobody"][3] == 409 and answers["nobody"][5] is False  # no proposal shown
    # Nor once a vetting officer confirmed the list match (the page said "confirmed list
    # match" in the proposal's explanation).
    listed = Case.objects.get(intake__serial=serials["listed"])
    hit = next(c for c in listed.candidates.all() if c.kind == "list")
    candidate_resolve(candidate=hit, user=personas["vetter"], decision="link", reason="same man")
    page = _client(personas["clerk2"]).get(f"/cases/{serials['listed']}/").content.decode()
    listed.refresh_from_db()
    explained = [text for text in (listed.proposal_explanation or {}).values() if text]
    assert listed.proposed_rule and explained  # there is a proposal that says it
    assert listed.proposed_rule not in page and not any(text in page for text in explained)
