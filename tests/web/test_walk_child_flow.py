"""Issue 22 through Django's test client: (item 1) the receipt of a child's registration,
its replay, and child protection resolving a child's match candidates; (item 2) a link
between two registrations of one person, on both case pages and in the figures."""

from __future__ import annotations

import pytest

from sulh.accounts.policy import Action, allows
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.core.validation import parse
from sulh.demo.open_program import OPEN_ID
from sulh.matching.models import CandidateStatus
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake
from tests.web.test_staff_flow import _client, _form

pytestmark = pytest.mark.django_db
CHILD = {"birth_date": "12/05/2012", "given_name_lat": "Rami", "family_name_lat": "al-Haddad",
         "given_name_ar": "رامي", "family_name_ar": "الحداد"}  # fmt: skip


def test_the_clerk_gets_a_receipt_saying_the_case_went_to_child_protection(personas, open_program):
    clerk = _client(personas["clerk"])
    form = _form(pledge_version=open_program.pledge.version, idempotency_key="desk1-child-01",
                 **CHILD)  # fmt: skip
    response = clerk.post("/intake/", form, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 302
    page = clerk.get(response["location"], HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200
    text = page.content.decode()
    serial = Case.objects.get().intake.serial
    assert serial in text and 'id="child-note"' in text and "حماية الطفل" in text
    for personal in ("رامي", "Rami", "الحداد", "2012", "AK771204", "M-55120", "ريم"):
        assert personal not in text
    english = clerk.get(response["location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "went to child protection" in english
    # pressed twice, or the answer was lost: registered once, the same answer
    again = clerk.post("/intake/", form)
    assert again.status_code == 302 and again["location"] == response["location"]
    assert Case.objects.count() == 1
    assert clerk.get(again["location"]).status_code == 200
    # the child's case itself stays closed to the clerk; nobody else gets the receipt
    assert clerk.get(f"/cases/{serial}/").status_code == 404
    assert _client(personas["clerk2"]).get(response["location"]).status_code == 404
    assert _client(personas["vetter"]).get(response["location"]).status_code == 404


def test_child_protection_resolves_a_childs_candidates_and_vetting_is_refused(
    personas, open_program
):
    assert allows(personas["child_protection"], Action.RESOLVE_CANDIDATE)
    clerk = _client(personas["clerk"])
    version = open_program.pledge.version
    clerk.post("/intake/", _form(pledge_version=version, **CHILD))
    twin = {**CHILD, "family_name_lat": "Al Haddad", "national_id": ""}
    location = clerk.post("/intake/", _form(pledge_version=version, **twin))["location"]
    serial = location.split("/")[2]
    case = Case.objects.get(intake__serial=serial)
    assert case.state == "in_review"
    candidate = case.candidates.get()
    vetter = _client(personas["vetter"])
    assert vetter.get(f"/cases/{serial}/").status_code == 404
    vetter.post(f"/cases/{serial}/candidates/{candidate.pk}/",
                {"decision": "clear", "reason": "not him"})  # fmt: skip
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN  # refused, as before
    protection = _client(personas["child_protection"])
    page = protection.get(f"/cases/{serial}/").content.decode()
    assert 'value="clear"' in page and 'value="link"' in page
    protection.post(f"/cases/{serial}/candidates/{candidate.pk}/",
                    {"decision": "clear", "reason": ""})  # fmt: skip
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN  # a reason is required
    protection.post(f"/cases/{serial}/candidates/{candidate.pk}/",
                    {"decision": "clear", "reason": "the mother differs"})  # fmt: skip
    candidate.refresh_from_db()
    case.refresh_from_db()
    assert candidate.status == CandidateStatus.CLEARED and case.state == "screened"
    protection.post(f"/cases/{serial}/handover/", {"agency": "Child protection unit"})
    case.refresh_from_db()
    assert case.handed_over_at is not None


def _twice_now(personas) -> tuple[Case, Case]:
    """Six people, then one man registered at two stations (the open program, now)."""
    for seed in range(200, 206):
        data = parse(IntakeIn, make_intake(OPEN_ID, seed=seed))
        intake_register(data=data, clerk=personas["clerk"])
    payload = make_intake(OPEN_ID, seed=13)
    earlier = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"]).case
    again = {**payload, "idempotency_key": "again-" + payload["idempotency_key"]}
    later = intake_register(data=parse(IntakeIn, again), clerk=personas["clerk2"]).case
    return earlier, later


def test_a_link_shows_on_both_case_pages_and_the_figures_count_him_once(personas, open_program):
    earlier, later = _twice_now(personas)
    assert later.state == "in_review"
    manager = _client(personas["manager"])

    def registered() -> tuple[int, int]:
        """The dashboard's exact figure and the home page's (both from the log's records)."""
        dashboard = manager.get(f"/dashboard/?program={OPEN_ID}").context["chosen"]
        home = manager.get("/").context["programs"]
        shown = next(p for p in home if p["definition"].id == OPEN_ID)["figures"]
        return dashboard["figures"]["figures"]["registered"], shown["registered"]

    assert registered() == (8, 8)
    vetter = _client(personas["vetter"])
    page = vetter.get(f"/cases/{later.serial}/").content.decode()
    assert 'name="survivor"' in page
    candidate = later.candidates.get()
    vetter.post(f"/cases/{later.serial}/candidates/{candidate.pk}/",
                {"decision": "link", "reason": "same man: same mother, same number"})  # fmt: skip
    later.refresh_from_db()
    assert later.state == "duplicate"
    closed = vetter.get(f"/cases/{later.serial}/").content.decode()
    assert 'id="duplicate-of"' in closed and f"/cases/{earlier.serial}/" in closed
    assert "same mother" in closed and personas["vetter"].username in closed
    survivor = vetter.get(f"/cases/{earlier.serial}/").content.decode()
    assert 'id="duplicates"' in survivor and f"/cases/{later.serial}/" in survivor
    decider = _client(personas["decider"])
    assert 'id="decide"' not in decider.get(f"/cases/{later.serial}/").content.decode()
    assert 'id="decide"' in decider.get(f"/cases/{earlier.serial}/").content.decode()
    assert registered() == (7, 7)
    # the other station's clerk sees the case closed, not the survivor at another station
    desk = _client(personas["clerk2"]).get(f"/cases/{later.serial}/").content.decode()
    assert 'id="duplicate-of"' in desk and f"/cases/{earlier.serial}/" not in desk
