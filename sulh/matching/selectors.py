"""Reads of match candidates. Who may read them is asked in ``sulh.cases.selectors``
(``candidate_get_for_user``, ``candidates_get_for_user``)."""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.cases.models import Case
from sulh.matching.models import MatchCandidate


def candidates_for_case(*, case: Case) -> QuerySet[MatchCandidate]:
    return (
        MatchCandidate.objects.filter(case=case)
        .select_related("other_case__intake", "list_entry")
        .order_by("status", "-score")
    )
