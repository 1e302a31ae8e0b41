"""Retention erasure of what matching keeps about a case."""

from __future__ import annotations

from sulh.matching.candidates import candidates_naming_case
from sulh.matching.models import MatchKey


def match_data_erase(*, case_id: int) -> None:
    """The case's blocking keys go; its candidates keep their decision but lose the evidence
    (it quotes both records' names) and the free-text reason."""
    MatchKey.objects.filter(case_id=case_id).delete()
    for candidate in candidates_naming_case(case_id=case_id):  # sealed to each row: one by one
        candidate.evidence, candidate.reason = [], ""
        candidate.save(update_fields=["evidence", "reason"])
