"""Card rules an insider broke (issue #16, F12), each attack now refused: one card officer
issued several valid cards for one case, and reinstated a revoked or replaced card alone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from sulh.cards import services
from sulh.cards.models import Card, CardState
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.core.errors import Conflict, PermissionDenied, ValidationFailed
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _granted(personas: dict[str, Any]) -> Case:
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN, origin="local")
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    case_services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    case.refresh_from_db()
    return case


def _in_force(case: Case) -> list[str]:
    return list(
        Card.objects.filter(case=case)
        .exclude(state=CardState.REVOKED)
        .values_list("card_id", flat=True)
    )


def _published_states() -> dict[int, str]:
    """What the status list says, by status index (as a checkpoint reads it)."""
    return dict(Card.objects.exclude(state=CardState.VALID).values_list("status_index", "state"))


# --- One card in force per case ---------------------------------------------------------------


def test_a_second_card_replaces_the_first_and_revokes_it(personas, programs):
    case = _granted(personas)
    officer = personas["card_officer"]
    first = services.card_issue(case=case, user=officer)
    # The attack: issue another valid card for the same case, without a word.
    with pytest.raises(ValidationFailed) as caught:
        services.card_issue(case=case, user=officer)
    assert caught.value.field == "reason" and first.card_id in caught.value.message
    assert _in_force(case) == [first.card_id]
    second = services.card_issue(case=case, user=officer, reason="first card lost at a crossing")
    first.refresh_from_db()
    assert (first.state, first.superseded_by_id) == (CardState.REVOKED, second.pk)
    assert _in_force(case) == [second.card_id]
    assert _published_states() == {first.status_index: CardState.REVOKED}
    event = case.events.filter(event="card_issued").last()
    assert event is not None and event.details["replaces"] == first.card_id


def test_the_database_holds_one_card_in_force_per_case(personas, programs):
    case = _granted(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    twin = {
        f.name: getattr(card, f.name)
        for f in Card._meta.concrete_fields
        if f.name not in {"id", "card_id", "status_index", "case", "station", "key", "issued_by"}
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(
            **twin, card_id="f" * 32, status_index=9999, case=case, station=card.station,
            key=card.key, issued_by=card.issued_by,
        )  # fmt: skip


# --- Reinstatement takes a second card officer -------------------------------------------------


def test_one_card_officer_alone_cannot_reinstate_a_revoked_card(personas, programs):
    case = _granted(personas)
    officer, second = personas["card_officer"], personas["card_officer2"]
    card = services.card_issue(case=case, user=officer)
    services.card_set_state(card=card, user=officer, state="revoked", reason="reported stolen")
    # The attack: make it valid again in one step.
    with pytest.raises(Conflict) as direct:
        services.card_set_state(card=card, user=officer, state="valid", reason="found")
    assert direct.value.field == "state" and "second card officer" in direct.value.message
    services.card_reinstatement_request(card=card, user=officer, reason="found in the office")
    card.refresh_from_db()
    assert card.state == CardState.REVOKED  # nothing until a second officer approves
    with pytest.raises(PermissionDenied) as alone:
        services.card_reinstatement_approve(card=card, user=officer)
    assert alone.value.field == "user"
    for persona in ("clerk", "decider", "manager", "admin"):
        with pytest.raises(PermissionDenied):
            services.card_reinstatement_approve(card=card, user=personas[persona])
    card.refresh_from_db()
    assert card.state == CardState.REVOKED and _published_states() == {card.status_index: "revoked"}
    services.card_reinstatement_approve(card=card, user=second, reason="checked the holder")
    card.refresh_from_db()
    assert card.state == CardState.VALID and _published_states() == {}


def test_a_refused_reinstatement_leaves_the_card_as_it_was(personas, programs):
    case = _granted(personas)
    officer, second = personas["card_officer"], personas["card_officer2"]
    card = services.card_issue(case=case, user=officer)
    services.card_set_state(card=card, user=officer, state="suspended", reason="holder detained")
    services.card_reinstatement_request(card=card, user=officer, reason="released")
    with pytest.raises(Conflict):
        services.card_reinstatement_request(card=card, user=officer, reason="released, really")
    with pytest.raises(ValidationFailed) as blank:
        services.card_reinstatement_refuse(card=card, user=second, reason="")
    assert blank.value.field == "reason"
    services.card_reinstatement_refuse(card=card, user=second, reason="not released yet")
    card.refresh_from_db()
    assert card.state == CardState.SUSPENDED
    with pytest.raises(Conflict):
        services.card_reinstatement_approve(card=card, user=second)


def test_a_replaced_card_is_never_reinstated(personas, programs):
    case = _granted(personas)
    officer, second = personas["card_officer"], personas["card_officer2"]
    old = services.card_issue(case=case, user=officer)
    services.card_renew(card=old, user=officer, reason="worn out")
    with pytest.raises(Conflict) as caught:
        services.card_reinstatement_request(card=old, user=officer, reason="the old one")
    assert caught.value.field == "card_id" and "replaced" in caught.value.message
    with pytest.raises(Conflict):  # a revoked card does not come back as suspended either
        services.card_set_state(card=old, user=officer, state="suspended", reason="x")
    # A revoked card's case gets no fresh card from one officer: that would be a
    # reinstatement without the second officer.
    current = Card.objects.get(case=case, state=CardState.VALID)
    services.card_set_state(card=current, user=officer, state="revoked", reason="stolen")
    services.card_reinstatement_request(card=current, user=officer, reason="found")
    with pytest.raises(Conflict) as caught:
        services.card_issue(case=case, user=officer, reason="a fresh card instead")
    assert caught.value.field == "state" and "second card officer" in caught.value.message
    assert _in_force(case) == []
    services.card_reinstatement_approve(card=current, user=second, reason="agreed")
    current.refresh_from_db()
    assert current.state == CardState.VALID and len(_in_force(case)) == 1


def test_a_suspended_card_is_not_replaced_by_one_officer(personas, programs):
    case = _granted(personas)
    officer = personas["card_officer"]
    card = services.card_issue(case=case, user=officer)
    services.card_set_state(card=card, user=officer, state="suspended", reason="checkpoint doubt")
    with pytest.raises(Conflict) as caught:
        services.card_issue(case=case, user=officer, reason="a new one")
    assert caught.value.field == "state" and "suspended" in caught.value.message
    # Third red-team review: renewing the suspended card made a new valid one, alone.
    with pytest.raises(Conflict) as caught:
        services.card_renew(card=card, user=officer, reason="holder asks for a new one")
    assert caught.value.field == "state" and "reinstatement" in caught.value.message
    card.refresh_from_db()
    assert card.state == CardState.SUSPENDED and len(_in_force(case)) == 1


def test_no_card_of_a_revoked_case_is_reinstated(personas, programs):
    case = _granted(personas)
    officer = personas["card_officer"]
    card = services.card_issue(case=case, user=officer)
    case_services.case_revoke_eligibility(case=case, user=personas["decider"], reason="crime")
    case_services.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    card.refresh_from_db()
    assert card.state == CardState.REVOKED
    with pytest.raises(Conflict) as caught:
        services.card_reinstatement_request(card=card, user=officer, reason="a mistake")
    assert caught.value.field == "state"


def _api(user: Any) -> Client:
    return api_client(user)  # signed in and stepped up, as an officer's script is


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_reinstatement_through_the_api_takes_two_card_officers(personas, programs):
    case = _granted(personas)
    officer, second = _api(personas["card_officer"]), _api(personas["card_officer2"])
    card = services.card_issue(case=case, user=personas["card_officer"])
    url = f"/api/cards/{card.card_id}"
    assert (
        _post(officer, f"{url}/state", {"state": "revoked", "reason": "stolen"}).status_code == 200
    )
    direct = _post(officer, f"{url}/state", {"state": "valid", "reason": "found"})
    assert direct.status_code == 409 and direct.json()["error"]["field"] == "state"
    assert (
        _post(_api(personas["decider"]), f"{url}/reinstatement", {"reason": "x"}).status_code == 403
    )
    asked = _post(officer, f"{url}/reinstatement", {"reason": "found"})
    assert asked.status_code == 201 and asked.json()["status"] == "awaiting_second"
    alone = _post(officer, f"{url}/reinstatement/approve", {})
    assert alone.status_code == 403 and alone.json()["error"]["field"] == "user"
    assert _post(second, f"{url}/reinstatement/perhaps", {}).status_code == 404
    approved = _post(second, f"{url}/reinstatement/approve", {"reason": "holder checked"})
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    assert officer.get(f"/api/cases/{case.intake.serial}").status_code == 200
    card.refresh_from_db()
    assert card.state == CardState.VALID


def test_the_public_status_list_is_signed_when_states_change_not_per_request(personas, programs):
    """Third red-team review: every anonymous GET of status.json was a fresh signature by
    the publication key (a token's work)."""
    case = _granted(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    anonymous = Client()
    first = anonymous.get("/api/cards/status.json").json()
    assert anonymous.get("/api/cards/status.json").json() == first  # nothing changed: the same
    services.card_set_state(
        card=card, user=personas["card_officer"], state="suspended", reason="checkpoint doubt"
    )
    after = anonymous.get("/api/cards/status.json").json()
    assert after != first  # a suspension is in the very next list
