"""Cards from cases: issued for decided amnesty or departure, verified against the published
trust list, revoked through the status list, and sealed at rest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client

from sulh.cards import services
from sulh.cards.models import CardExtension
from sulh.cards.status import status_list_load
from sulh.cards.trust import trust_list_load
from sulh.cards.verify import Verdict, verify_card
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import State
from sulh.core.errors import Conflict, PermissionDenied, ValidationFailed
from sulh.core.validation import parse
from sulh.keys.services import root_key
from sulh.keys.signing import unb64u
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _decided(personas, outcome="amnesty"):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    decision = case_services.decision_record(
        case=case, user=personas["decider"], outcome=outcome, reason="r"
    )
    if decision.status == "awaiting_second":
        case_services.decision_confirm(
            decision=decision, user=personas["decider2"], reason="agreed"
        )
    case.refresh_from_db()
    return case, payload


def _verify(text: str):
    trust = services.trust_list_document()
    status = status_list_load(
        services.status_list_document(),
        public_key=trust_list_load(trust, root_public_key=_site_root()).status_signer,
    )
    return verify_card(
        text, trusted=trust_list_load(trust, root_public_key=_site_root()), status=status
    )


def _verify_at(text: str, when: dt.datetime):
    """The verdict at ``when`` of a checkpoint holding lists fetched then: the site's lists
    signed now, with their expiry moved past ``when`` (no list can be signed in the future
    here; what is checked is the card's own validity and its program's extension)."""
    trusted = trust_list_load(services.trust_list_document(), root_public_key=_site_root())
    status = status_list_load(services.status_list_document(), public_key=trusted.status_signer)
    status.expires_at = when + dt.timedelta(days=1)
    fetched = dataclasses.replace(trusted, expires_at=when + dt.timedelta(days=1))
    return verify_card(text, trusted=fetched, status=status, now=when)


def test_a_card_officer_issues_a_card_that_verifies(personas, programs):
    case, payload = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    case.refresh_from_db()
    assert case.state == State.CARD_ISSUED
    result = _verify(card.text)
    assert result.verdict == Verdict.VALID
    assert result.holder["name_ar"].startswith(payload["person"]["given_name_ar"])
    assert result.card["program"] == "aleppo-2016-amnesty"
    assert (card.valid_until - card.issued_at).days == 90
    other, _ = _decided(personas)
    second = services.card_issue(case=other, user=personas["card_officer"])
    assert (card.status_index, second.status_index) == (0, 1)
    assert _verify(second.text).verdict == Verdict.VALID


def test_no_card_for_an_adverse_decision_and_none_by_other_roles(personas, programs):
    case, _ = _decided(personas, outcome="denial")
    with pytest.raises(Conflict):
        services.card_issue(case=case, user=personas["card_officer"])
    granted, _ = _decided(personas)
    with pytest.raises(PermissionDenied):
        services.card_issue(case=granted, user=personas["clerk"])


def test_revoked_and_suspended_cards_show_so_at_the_checkpoint(personas, programs):
    case, _ = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    services.card_set_state(
        card=card, user=personas["card_officer"], state="suspended", reason="lost, reported"
    )
    assert _verify(card.text).verdict == Verdict.SUSPENDED
    services.card_reinstatement_request(
        card=card, user=personas["card_officer"], reason="found again"
    )
    assert _verify(card.text).verdict == Verdict.SUSPENDED  # until a second officer approves
    services.card_reinstatement_approve(card=card, user=personas["card_officer2"], reason="agreed")
    assert _verify(card.text).verdict == Verdict.VALID
    case_services.case_revoke_eligibility(
        case=case, user=personas["decider"], reason="new evidence"
    )
    assert _verify(card.text).verdict == Verdict.VALID  # until a second officer confirms
    case_services.revocation_confirm(case=case, user=personas["decider2"], reason="agreed")
    assert _verify(card.text).verdict == Verdict.REVOKED
    events = list(case.events.values_list("event", flat=True))
    assert events[-6:] == [
        "card_issued",
        "card_suspended",
        "card_reinstatement_asked",
        "card_reinstated",
        "revocation_proposed",
        "eligibility_revoked",
    ]


def test_the_card_text_and_keys_are_sealed_at_rest(personas, programs):
    case, _ = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cards_card")
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT private_pem FROM cards_signingkey")
        keys = [row[0] for row in cursor.fetchall()]
    assert card.text.startswith("SULH1:") and not stored.startswith("SULH1:")
    assert all("PRIVATE KEY" not in k for k in keys)


def test_the_api_issues_and_publishes_trust_and_status_lists(personas, programs):
    case, _ = _decided(personas)
    officer = api_client(personas["card_officer"])
    issued = officer.post(
        f"/api/cases/{case.intake.serial}/cards",
        data=json.dumps({"reason": ""}),
        content_type="application/json",
    )
    assert issued.status_code == 201
    trusted = trust_list_load(
        Client().get("/api/cards/trust-list.json").json(), root_public_key=_site_root()
    )
    status = status_list_load(
        Client().get("/api/cards/status.json").json(), public_key=trusted.status_signer
    )
    assert verify_card(issued.json()["text"], trusted=trusted, status=status).verdict == (
        Verdict.VALID
    )
    revoked = officer.post(
        f"/api/cards/{issued.json()['card_id']}/state",
        data=json.dumps({"state": "revoked", "reason": "fraud"}),
        content_type="application/json",
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert Client().get("/api/cards/status.json").status_code == 200


def test_renewal_gives_a_fresh_card_and_revokes_the_old_one(personas, programs):
    case, _ = _decided(personas)
    old = services.card_issue(case=case, user=personas["card_officer"])
    with pytest.raises(ValidationFailed, match="reason"):
        services.card_renew(card=old, user=personas["card_officer"], reason=" ")
    new = services.card_renew(card=old, user=personas["card_officer"], reason="card worn out")
    old.refresh_from_db()
    assert (old.state, old.superseded_by_id) == ("revoked", new.pk)
    assert _verify(old.text).verdict == Verdict.REVOKED
    assert _verify(new.text).verdict == Verdict.VALID
    events = [e.event for e in case.events.order_by("pk")]
    assert events[-1] == "card_renewed"
    with pytest.raises(Conflict):
        services.card_renew(card=old, user=personas["card_officer"], reason="again")


def test_a_program_extends_its_cards_without_reprinting(personas, programs):
    case, _ = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    later = card.valid_until + dt.timedelta(days=10)
    assert _verify_at(card.text, later).verdict == Verdict.EXPIRED
    with pytest.raises(PermissionDenied):
        services.cards_extend(
            program=case.program, user=personas["card_officer"],
            valid_until=later + dt.timedelta(days=30), reason="deadline extended",
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as error:
        services.cards_extend(
            program=case.program, user=personas["manager"],
            valid_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), reason="deadline extended",
        )  # fmt: skip
    assert error.value.field == "valid_until"
    services.cards_extend(
        program=case.program, user=personas["manager"],
        valid_until=later + dt.timedelta(days=30), reason="deadline extended",
    )  # fmt: skip
    result = _verify_at(card.text, later)
    assert result.verdict == Verdict.VALID
    assert result.card["valid_until"] == later + dt.timedelta(days=30)
    assert _verify_at(card.text, later + dt.timedelta(days=31)).verdict == Verdict.EXPIRED
    # a card issued after the extension date keeps its own validity
    CardExtension.objects.update(issued_before=card.issued_at - dt.timedelta(minutes=1))
    assert _verify_at(card.text, later).verdict == Verdict.EXPIRED


def test_the_card_officer_prints_a_pdf_card_and_the_print_is_audited(personas, programs):
    from sulh.audit.models import AuditEntry

    case, _ = _decided(personas)
    card = services.card_issue(case=case, user=personas["card_officer"])
    url = f"/api/cards/{card.card_id}/card.pdf"
    response = api_client(personas["card_officer"]).get(url)
    assert response.status_code == 200
    assert response["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="card_printed", obj_id=card.card_id).count() == 1
    assert api_client(personas["clerk"]).get(url).status_code == 403


def _site_root() -> bytes:
    """The pin a checkpoint of this site holds: the site's root public key."""
    return unb64u(root_key().public_point)
