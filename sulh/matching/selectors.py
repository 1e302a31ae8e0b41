"""Reads of match candidates by case id; who may see the case is ``sulh.cases``'s to check
(``sulh.cases.selectors.candidate_get_for_user``)."""

from __future__ import annotations

from sulh.matching.models import MatchCandidate


def candidates_for_case(*, case_id: int) -> list[MatchCandidate]:
    """A case's candidates, open ones first, then by score (sealed: sorted here)."""
    found = list(MatchCandidate.objects.filter(case_id=case_id))
    return sorted(found, key=lambda c: (c.status, -(c.score or 0.0), c.pk))
