"""Screening a case: matching's online check of the case's person, and the candidates it
opens. The state change it leads to is ``services.case_screen``'s."""

from __future__ import annotations

from sulh.cases.models import Case
from sulh.matching.candidates import candidates_create
from sulh.matching.models import CandidateKind, MatchCandidate
from sulh.matching.online import registrant_screen
from sulh.matching.stored import person_records


def case_candidates_open(*, case: Case) -> list[MatchCandidate]:
    """Store the case's keyed blocking keys; open candidates for duplicates and list hits.
    Runs inside the intake transaction (the keys stay locked until it commits)."""
    records = person_records(person=case.intake.person, record_id=str(case.pk))
    check = registrant_screen(case_id=case.pk, records=records)
    duplicates = candidates_create(
        case_id=case.pk, kind=CandidateKind.DUPLICATE, found=check.duplicates
    )
    return duplicates + candidates_create(
        case_id=case.pk, kind=CandidateKind.LIST, found=check.list_hits
    )
