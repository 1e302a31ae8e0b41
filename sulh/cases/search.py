"""Search-first access to people: by name (either script), birth date or national number,
always with a purpose, always audited, never a list of everyone.

The search goes through the keyed blocking keys, so it finds across scripts and
spellings what online matching would find; results are limited to the cases the
officer may see. The audit trail records who searched, why and how many came back,
not the names searched for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sulh.accounts.models import CaseReadWindow, User
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.cases.models import Case
from sulh.cases.selectors import cases_visible_to, read_budget_take
from sulh.core.errors import ValidationFailed
from sulh.matching.online import (
    DUPLICATE_THRESHOLD,
    best_match,
    candidate_case_ids,
)
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult
from sulh.matching.stored import person_records, record_keys, registered_records

SEARCH_THRESHOLD = 0.4
# A birth year alone (typed, or all that was registered) carries less evidence than a full
# date: the desk's hint then counts look-alikes from a lower score, so that a man typed
# with his birth year only, or in the other script, is still noticed before he is
# registered twice. A hint only: the full duplicate check at saving is unchanged.
YEAR_ONLY_THRESHOLD = 0.25
MAX_RESULTS = 20


@dataclass(frozen=True)
class SearchHit:
    case: Case
    result: MatchResult


def _check(query: PersonRecord) -> None:
    if not (query.given_name or query.family_name or query.national_id):
        raise ValidationFailed("give a name or a national number", field="name")


def _candidate_ids(query: PersonRecord) -> list[int]:
    return candidate_case_ids(record_keys([query]))


def person_search(*, user: User, query: PersonRecord, purpose: str) -> list[SearchHit]:
    require(user, Action.SEARCH)
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 5:
        raise ValidationFailed("say why you search (at least 5 characters)", field="purpose")
    _check(query)
    visible = cases_visible_to(user=user).filter(pk__in=_candidate_ids(query))
    hits = []
    for case in visible.select_related("intake__person", "station", "program"):
        result = best_match([query], person_records(person=case.intake.person, record_id="x"))
        if result and result.score >= SEARCH_THRESHOLD:
            hits.append(SearchHit(case=case, result=result))
    hits.sort(key=lambda hit: -hit.result.score)
    # Every person a search shows is a case read, and a search that shows nobody still
    # costs one: sweeping names or birth years runs into the same limit and alert as
    # opening case after case.
    read_budget_take(user=user, reads=len(hits[:MAX_RESULTS]))
    audit_record(
        actor=user, action="search", obj_type="person", obj_id="", purpose=purpose,
        details={"results": len(hits[:MAX_RESULTS])},
    )  # fmt: skip
    return hits[:MAX_RESULTS]


def _year_only(birth_date: str) -> bool:
    return len(birth_date) == 4 and birth_date.isdigit()


def intake_precheck(*, user: User, query: PersonRecord) -> dict[str, int]:
    """For the clerk, while typing: how many people the clerk may already see (adults
    registered at the clerk's own station) look like this person, so the clerk can stop a
    double registration at the desk.

    Nothing beyond what the clerk could open anyway: registrations at other stations,
    children and screening lists are not counted here (whether someone is on a list is
    for the vetting officer, and telling the desk would tip off the person or whoever
    sent the clerk). The full duplicate and list screening runs when the intake is saved.
    Each check counts against the clerk's own budget of look-alike checks, with an alert
    beyond it, so the desk cannot be used to sweep names or birth years."""
    require(user, Action.REGISTER)
    _check(query)
    read_budget_take(user=user, kind=CaseReadWindow.KIND_INTAKE_CHECK)
    visible = set(
        cases_visible_to(user=user)
        .filter(pk__in=_candidate_ids(query))
        .values_list("pk", flat=True)
    )
    duplicates = 0
    for _case_id, records in registered_records(sorted(visible)):
        result = best_match([query], records)
        year_only = any(_year_only(r.birth_date) for r in [query, *records])
        threshold = YEAR_ONLY_THRESHOLD if year_only else DUPLICATE_THRESHOLD
        duplicates += bool(result and result.score >= threshold)
    audit_record(
        actor=user, action="intake_precheck", obj_type="person", obj_id="",
        details={"duplicates": duplicates},
    )  # fmt: skip
    return {"duplicates": duplicates}
