"""Issue 22, third walk, item 2: a registration closed as a duplicate takes its open
look-alikes with it (who closed them and why recorded, audited), so that they leave the
vetting queue and stop holding the other registration they name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sulh.audit.models import AuditEntry
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, State
from sulh.cases.review import candidate_resolve
from sulh.cases.selectors import review_queue
from sulh.cases.services import case_review_reopen, decision_record
from sulh.core.errors import Conflict
from sulh.core.validation import parse
from sulh.matching.candidates import (
    candidate_other_index,
    candidates_create,
    case_named_by_open_duplicates,
)
from sulh.matching.models import CandidateKind, CandidateStatus
from sulh.matching.score import MatchResult
from sulh.registry.schemas import IntakeIn
from tests.cases.test_rules import SAMER
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _register(personas: dict[str, Any]) -> Case:
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN, person=SAMER)
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def _naming(case: Case, other: Case) -> Any:
    index = candidate_other_index(kind=CandidateKind.DUPLICATE, pk=other.pk)
    return case.candidates.get(other_index=index)


def test_it_closes_the_duplicates_own_open_candidates(personas, programs):
    first, second, third = (_register(personas) for _ in range(3))
    assert third.candidates.count() == 2  # it looks like both earlier registrations
    vetter = personas["vetter"]
    # the third is the second's person: it closes, the second carries the case on
    candidate_resolve(
        candidate=_naming(third, second), user=vetter, decision="link", reason="same man"
    )
    third.refresh_from_db()
    assert third.state == State.DUPLICATE
    left = _naming(third, first)
    assert left.status == CandidateStatus.CLOSED
    assert left.resolved_by == vetter and left.reason == "same man" and left.resolved_at
    assert AuditEntry.objects.filter(
        action="candidate.closed", obj_id=str(left.pk), actor=vetter
    ).exists()
    # the closed registration no longer holds the first one back from a decision (the
    # second's own look-alike of it, still open, does)
    assert not third.candidates.filter(status=CandidateStatus.OPEN).exists()
    candidate_resolve(
        candidate=_naming(second, first), user=vetter, decision="clear", reason="mother differs"
    )
    assert not case_named_by_open_duplicates(case_id=first.pk)
    assert third.pk not in {row.case.pk for row in review_queue(user=vetter)}


def test_another_cases_candidate_naming_the_duplicate_closes_where_the_survivor_is_named(
    personas, programs
):
    first, second, third = (_register(personas) for _ in range(3))
    vetter = personas["vetter"]
    candidate_resolve(
        candidate=_naming(second, first), user=vetter, decision="link", reason="same man"
    )
    # the third's look-alike of the second is the first's person, compared on its own
    # candidate: the one naming the closed registration closes
    assert _naming(third, second).status == CandidateStatus.CLOSED
    assert _naming(third, first).status == CandidateStatus.OPEN
    candidate_resolve(
        candidate=_naming(third, first), user=vetter, decision="clear", reason="mother differs"
    )
    third.refresh_from_db()
    assert third.state == State.SCREENED
    assert third.pk not in {row.case.pk for row in review_queue(user=vetter)}


def test_a_survivor_is_not_decided_while_a_look_alike_of_its_closed_duplicate_is_open(
    personas, programs
):
    first, second = _register(personas), _register(personas)
    other = intake_register(
        data=parse(IntakeIn, make_intake("aleppo-2016-amnesty", seed=7, submitted_at=WHEN)),
        clerk=personas["clerk"], now=WHEN,
    ).case  # fmt: skip
    # a third registration looks like the second only (a spelling the first does not share)
    look_alike = candidates_create(
        case_id=other.pk, kind=CandidateKind.DUPLICATE,
        found=[(second.pk, MatchResult(score=0.8, evidence=()))],
    )[0]  # fmt: skip
    case_review_reopen(case=other, actor=None, reason="a look-alike")
    vetter = personas["vetter"]
    candidate_resolve(
        candidate=_naming(second, first), user=vetter, decision="link", reason="same man"
    )
    look_alike.refresh_from_db()
    assert look_alike.status == CandidateStatus.OPEN  # the first is not compared there
    first.refresh_from_db()
    with pytest.raises(Conflict):  # it may be the first's person: one person, one decision
        decision_record(case=first, user=personas["decider"], outcome="amnesty", reason="ok")
    candidate_resolve(candidate=look_alike, user=vetter, decision="clear", reason="another")
    decision_record(case=first, user=personas["decider"], outcome="amnesty", reason="ok")
