"""Reads of match candidates by case id; who may see the case is ``sulh.cases``'s to check
(``sulh.cases.selectors.candidate_get_for_user``)."""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.matching.models import MatchCandidate


def candidates_for_case(*, case_id: int) -> QuerySet[MatchCandidate]:
    return (
        MatchCandidate.objects.filter(case_id=case_id)
        .select_related("other_case__intake", "list_entry")
        .order_by("status", "-score")
    )
