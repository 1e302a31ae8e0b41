"""The program's figures as of now, straight from the cases.

They reconcile by construction: every registered case is counted in exactly one
of amnesty_granted, departure, referred, denied or pending. A registration closed as a
duplicate of another (the same person registered twice) is not counted: the person counts
once, under the survivor, as in the log's figures (``sulh.ledger.monitor``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils import timezone

from sulh.cases.models import Case, Outcome, State
from sulh.programs.services import program_get

FIGURES = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
_OUTCOME_FIGURE: dict[str, str] = {
    Outcome.AMNESTY: "amnesty_granted",
    Outcome.DEPARTURE: "departure",
    Outcome.REFERRAL: "referred",
    Outcome.DENIAL: "denied",
}
# A case counts under its outcome once decided (and while its card is out);
# anything before a decision, under appeal or revoked is pending.
_DECIDED_STATES = (State.DECIDED, State.CARD_ISSUED)


def _figure_of(state: str, outcome: str) -> str:
    if state in _DECIDED_STATES and outcome in _OUTCOME_FIGURE:
        return _OUTCOME_FIGURE[outcome]
    return "pending"


def _empty() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def program_figures(*, program_code: str, as_of: dt.datetime | None = None) -> dict[str, Any]:
    """``{"program", "as_of", "figures": {...}, "by_station": {code: {...}}}``; an unknown
    program is NotFound."""
    program_get(code=program_code)
    as_of = as_of or timezone.now()
    rows = (
        Case.objects.filter(program__code=program_code, created_at__lte=as_of)
        .exclude(state=State.DUPLICATE)
        .values("station__code", "state", "outcome")
        .annotate(n=Count("id"))
    )
    totals: Counter[str] = Counter(_empty())
    by_station: dict[str, Counter[str]] = {}
    for row in rows:
        figure = _figure_of(row["state"], row["outcome"])
        station = by_station.setdefault(row["station__code"], Counter(_empty()))
        for counter in (totals, station):
            counter["registered"] += row["n"]
            counter[figure] += row["n"]
    return {
        "program": program_code,
        "as_of": as_of.isoformat(),
        "figures": dict(totals),
        "by_station": {code: dict(counts) for code, counts in sorted(by_station.items())},
    }


def figures_reconcile(figures: dict[str, int]) -> bool:
    parts = ("amnesty_granted", "departure", "referred", "denied", "pending")
    return figures["registered"] == sum(figures[part] for part in parts)


def program_children_registered(*, program_code: str) -> int:
    """How many of the program's registered cases are children's (under 18 or of disputed
    age): counted in ``registered`` above, and apart in the bulletin."""
    return Case.objects.filter(program__code=program_code, is_child=True).count()
