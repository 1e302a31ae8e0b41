"""Retention erasure of what matching keeps about a case."""

from __future__ import annotations

from django.db.models import Q

from sulh.matching.models import MatchCandidate, MatchKey


def match_data_erase(*, case_id: int) -> None:
    """The case's blocking keys go; its candidates keep their decision but lose the evidence
    (it quotes both records' names) and the free-text reason."""
    MatchKey.objects.filter(case_id=case_id).delete()
    MatchCandidate.objects.filter(Q(case_id=case_id) | Q(other_case_id=case_id)).update(
        evidence=[], reason=""
    )
