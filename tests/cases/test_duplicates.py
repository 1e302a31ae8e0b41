"""Issue 22, item 2: linking two registrations as one person closes one of them. The
survivor (the earlier, unless the officer chooses) alone is decided and carded; the
duplicate's pending decisions are voided and its cards revoked; the figures, from the
cases and from the log the monitor recomputes, count the person once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection

from sulh.bulletins.figures import program_figures
from sulh.cards import services as card_services
from sulh.cards.models import CardState
from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cases.lists import list_import
from sulh.cases.models import Case, DecisionStatus, State
from sulh.cases.review import candidate_resolve
from sulh.core.errors import Conflict, ValidationFailed
from sulh.core.validation import parse
from sulh.ledger.disclosure import figures_exact
from sulh.ledger.models import LedgerLeaf
from sulh.ledger.monitor import monitor_check
from sulh.ledger.publication import bulletin_write, ledger_publish, live_records
from sulh.matching.models import CandidateStatus
from sulh.registry.schemas import IntakeIn
from tests.cases.test_rules import SAMER, _wanted_list
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _register(personas: dict[str, Any], payload: dict[str, Any], clerk: str = "clerk") -> Case:
    data = parse(IntakeIn, payload)
    return intake_register(data=data, clerk=personas[clerk], now=WHEN).case


def _twice(personas: dict[str, Any], seed: int = 7, first_step: Any = None) -> tuple[Case, Case]:
    """One man registered at two stations: the second registration opens a candidate.
    ``first_step(earlier)`` runs before he registers again (a case another registration
    may duplicate is not decided or carded while that look-alike is in review)."""
    first = make_intake(PROGRAM, seed=seed, submitted_at=WHEN, origin="local")
    earlier = _register(personas, first)
    if first_step is not None:
        first_step(earlier)
        earlier.refresh_from_db()
    again = {**first, "idempotency_key": first["idempotency_key"][::-1]}
    later = _register(personas, again, clerk="clerk2")
    assert later.state == State.IN_REVIEW
    return earlier, later


def _decide_and_card(personas: dict[str, Any], case: Case) -> Any:
    services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    return card_services.card_issue(case=case, user=personas["card_officer"])


def _link(personas: dict[str, Any], case: Case, survivor: str = "", who: str = "vetter") -> None:
    candidate = case.candidates.get()
    candidate_resolve(candidate=candidate, user=personas[who], decision="link",
                      reason="same man, same mother and number", survivor=survivor)  # fmt: skip


def _leaves() -> list[dict[str, Any]]:
    return [json.loads(leaf) for leaf in LedgerLeaf.objects.values_list("leaf", flat=True)]


def test_the_later_registration_is_closed_as_a_duplicate_of_the_earlier(personas, programs):
    cards: list[Any] = []
    earlier, later = _twice(
        personas, first_step=lambda c: cards.append(_decide_and_card(personas, c))
    )
    card = cards[0]
    _link(personas, later)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert later.state == State.DUPLICATE and earlier.state == State.CARD_ISSUED
    assert later.candidates.get().status == CandidateStatus.LINKED
    assert services.case_survivor(later) == earlier
    assert list(services.cases_duplicates_of(case=earlier)) == [later]
    closed = later.events.get(event="closed_as_duplicate")
    assert closed.actor == personas["vetter"] and "same mother" in closed.reason
    assert earlier.events.filter(event="duplicate_linked").exists()
    card.refresh_from_db()
    assert card.state == CardState.VALID  # the survivor's card stands
    # nothing more for the duplicate: no decision, no card, no appeal, no revocation
    with pytest.raises(Conflict):
        services.decision_record(case=later, user=personas["decider"], outcome="amnesty",
                                 reason="")  # fmt: skip
    with pytest.raises(Conflict):
        card_services.card_issue(case=later, user=personas["card_officer"])
    assert not services.case_appealable(later)
    with pytest.raises(Conflict):
        services.case_revoke_eligibility(case=later, user=personas["decider"], reason="x")
    # which case it duplicates is sealed, not in clear
    with connection.cursor() as cursor:
        cursor.execute("SELECT duplicate_of FROM cases_case WHERE id = %s", [later.pk])
        stored = cursor.fetchone()[0]
    assert stored and str(earlier.pk) != stored and str(earlier.pk) not in stored.split(":")


def test_the_officer_may_keep_the_later_one_the_earlier_cards_are_revoked(personas, programs):
    cards: list[Any] = []
    earlier, later = _twice(
        personas, seed=8, first_step=lambda c: cards.append(_decide_and_card(personas, c))
    )
    card = cards[0]
    status_before = card_services.status_list_document()
    _link(personas, later, survivor="this")
    earlier.refresh_from_db()
    later.refresh_from_db()
    card.refresh_from_db()
    assert earlier.state == State.DUPLICATE and later.state == State.SCREENED
    assert card.state == CardState.REVOKED
    revoked = earlier.events.get(event="card_revoked")
    assert revoked.reason == f"duplicate of {later.serial}" and revoked.actor == personas["vetter"]
    assert card_services.status_list_document() != status_before  # the status list says so
    # the survivor is decided and carded, once
    new = _decide_and_card(personas, later)
    assert new.state == CardState.VALID
    cards = [card.state for case in (earlier, later) for card in case.cards.all()]
    assert sorted(cards) == ["revoked", "valid"]


def test_a_decision_awaiting_its_second_officer_on_the_duplicate_is_voided(personas, programs):
    decided: list[Any] = []
    earlier, later = _twice(personas, seed=9, first_step=lambda c: decided.append(
        services.decision_record(case=c, user=personas["decider"], outcome="denial",
                                 reason="pledge refused")))  # fmt: skip
    pending = decided[0]
    _link(personas, later, survivor="this")
    pending.refresh_from_db()
    earlier.refresh_from_db()
    assert pending.status == DecisionStatus.VOIDED and earlier.state == State.DUPLICATE
    with pytest.raises(Conflict):
        services.decision_confirm(decision=pending, user=personas["decider2"], reason="ok")


def test_an_unknown_survivor_choice_is_refused_and_changes_nothing(personas, programs):
    _, later = _twice(personas, seed=10)
    with pytest.raises(ValidationFailed):
        _link(personas, later, survivor="both")
    later.refresh_from_db()
    assert later.state == State.IN_REVIEW
    assert later.candidates.get().status == CandidateStatus.OPEN


def test_child_protection_links_a_child_registered_twice(personas, programs):
    child = {"birth_date": "2004-03-02"}  # twelve in 2016
    first = make_intake(PROGRAM, seed=11, submitted_at=WHEN, person=child)
    earlier = _register(personas, first)
    later = _register(personas, {**first, "idempotency_key": "x" * 24}, clerk="clerk2")
    assert earlier.is_child and later.state == State.IN_REVIEW
    _link(personas, later, who="child_protection")
    later.refresh_from_db()
    assert later.state == State.DUPLICATE


def test_the_figures_and_the_published_bulletin_count_a_linked_person_once(
    personas, programs, tmp_path
):
    for seed in range(100, 106):  # six other people
        _register(personas, make_intake(PROGRAM, seed=seed, submitted_at=WHEN))
    _earlier, later = _twice(personas, seed=12, first_step=lambda c: _decide_and_card(personas, c))
    before = program_figures(program_code=PROGRAM)["figures"]["registered"]
    logged = figures_exact(live_records(), program=PROGRAM)["figures"]["registered"]
    assert before == logged == 8
    _link(personas, later)
    figures = program_figures(program_code=PROGRAM)["figures"]
    from_log = figures_exact(live_records(), program=PROGRAM)["figures"]
    assert figures["registered"] == from_log["registered"] == 7
    ledger_publish(force=True)
    bulletin_write(program=PROGRAM, out=tmp_path)
    published = json.loads((tmp_path / f"bulletin-{PROGRAM}.json").read_text("utf-8"))
    assert published["exact"]["figures"]["registered"] == 7  # published exactly: once
    report = monitor_check(
        bulletin=tmp_path / f"bulletin-{PROGRAM}.json", leaves=tmp_path / "leaves.jsonl",
        tree_head=tmp_path / "tree-head.json", key=tmp_path / "ledger-key.pem",
    )  # fmt: skip
    assert report.ok, report.problems
    closing = [r for r in live_records() if r and r["event"] == "closed_as_duplicate"]
    assert len(closing) == 1 and set(closing[0]) == {"event", "program", "station", "day", "link"}
    # the public leaf of the closing says nothing: a commitment only
    assert all(set(leaf) <= {"commitment", "as_of_size", "exact", "program"} for leaf in _leaves())


def test_a_registration_with_a_list_match_is_not_closed_until_the_match_is_resolved(
    personas, programs, tmp_path
):
    list_import(path=_wanted_list(tmp_path), name="wanted", user=None)
    first = make_intake(PROGRAM, submitted_at=WHEN, person=SAMER)
    earlier = _register(personas, first)
    later = _register(personas, {**first, "idempotency_key": "y" * 24}, clerk="clerk2")
    duplicate = next(c for c in later.candidates.all() if c.kind == "duplicate")
    hit = next(c for c in later.candidates.all() if c.kind == "list")
    with pytest.raises(Conflict) as refused:
        candidate_resolve(candidate=duplicate, user=personas["vetter"], decision="link",
                          reason="same man")  # fmt: skip
    assert refused.value.field == "survivor" and later.serial in refused.value.message
    duplicate.refresh_from_db()
    assert duplicate.status == CandidateStatus.OPEN  # nothing half-done
    candidate_resolve(candidate=hit, user=personas["vetter"], decision="clear",
                      reason="another man: other mother")  # fmt: skip
    candidate_resolve(candidate=duplicate, user=personas["vetter"], decision="link",
                      reason="same man")  # fmt: skip
    later.refresh_from_db()
    assert later.state == State.DUPLICATE and services.case_survivor(later) == earlier


def test_an_officer_never_closes_a_case_they_may_not_see(personas, programs):
    first = make_intake(PROGRAM, seed=14, submitted_at=WHEN)
    disputed = {**first, "person": {**first["person"], "age_disputed": True}}
    child = _register(personas, disputed)  # a child's case: vetting may not open it
    adult = _register(personas, {**first, "idempotency_key": "z" * 24}, clerk="clerk2")
    assert child.is_child and not adult.is_child and adult.state == State.IN_REVIEW
    _link(personas, adult)  # the earlier one, the child's, would survive
    child.refresh_from_db()
    adult.refresh_from_db()
    assert State.DUPLICATE not in (child.state, adult.state)
    assert adult.candidates.get().status == CandidateStatus.LINKED


def test_a_case_another_registration_may_duplicate_is_not_decided_or_carded_yet(personas):
    """The walk through every role (second pass): one man registered five times was
    decided and carded on his first registration while four more were in review."""
    earlier, later = _twice(personas)
    with pytest.raises(Conflict, match="still in review"):
        services.decision_record(
            case=earlier, user=personas["decider"], outcome="amnesty", reason=""
        )
    candidate_resolve(
        candidate=later.candidates.get(), user=personas["vetter"], decision="clear",
        reason="another man",
    )  # fmt: skip
    services.decision_record(case=earlier, user=personas["decider"], outcome="amnesty", reason="")
    third = {**make_intake(PROGRAM, seed=7, submitted_at=WHEN, origin="local")}
    third["idempotency_key"] = "third-" + third["idempotency_key"][6:]
    _register(personas, third, clerk="clerk2")  # a third registration of him, in review
    with pytest.raises(Conflict, match="still in review"):
        card_services.card_issue(case=earlier, user=personas["card_officer"])
