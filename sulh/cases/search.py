"""Search-first access to people: by name (either script), birth date or national number,
always with a purpose, always audited, never a list of everyone.

The search goes through the keyed blocking keys, so it finds across scripts and
spellings what online matching would find; results are limited to the cases the
officer may see. The audit trail records who searched, why and how many came back,
not the names searched for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.cases.models import Case
from sulh.cases.selectors import cases_visible_to
from sulh.core.errors import ValidationFailed
from sulh.matching.models import ScreeningList
from sulh.matching.online import (
    DUPLICATE_THRESHOLD,
    best_match,
    candidate_case_ids,
    list_matches,
)
from sulh.matching.record import PersonRecord
from sulh.matching.score import MatchResult
from sulh.matching.stored import person_records, record_keys, registered_records

SEARCH_THRESHOLD = 0.4
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
    audit_record(
        actor=user, action="search", obj_type="person", obj_id="", purpose=purpose,
        details={"results": len(hits[:MAX_RESULTS])},
    )  # fmt: skip
    return hits[:MAX_RESULTS]


def intake_precheck(*, user: User, query: PersonRecord) -> dict[str, int]:
    """For the clerk, while typing: how many registered people and list entries look like
    this person. Counts only: the candidates themselves go to a vetting officer."""
    require(user, Action.REGISTER)
    _check(query)
    duplicates = 0
    for _case_id, records in registered_records(_candidate_ids(query)):
        result = best_match([query], records)
        duplicates += bool(result and result.score >= DUPLICATE_THRESHOLD)
    lists = list(ScreeningList.objects.filter(active=True))
    listed = len(list_matches([query], lists=lists))
    audit_record(
        actor=user, action="intake_precheck", obj_type="person", obj_id="",
        details={"duplicates": duplicates, "lists": listed},
    )  # fmt: skip
    return {"duplicates": duplicates, "lists": listed}
