"""The program's exact figures as of now, for the managers who run it (never published).

Counted by the one module that defines the figures, from the log's event records
(``sulh.ledger.disclosure.figures_exact``), so these, the bulletins and the monitor's check
cannot count differently: each registered adult counts once under one of
amnesty_granted, departure, referred, denied or pending; a registration closed as a
duplicate of another (the same person registered twice) counts nowhere; children (under 18
or of disputed age) are counted apart, in ``children``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sulh.departures.records import departure_figures
from sulh.ledger.disclosure import FIGURES, figures_exact
from sulh.ledger.publication import live_records
from sulh.programs.services import program_get


def program_figures(*, program_code: str) -> dict[str, Any]:
    """``{"program", "as_of", "figures", "children", "everyone", "by_station"}``: adults'
    figures, children's apart, and ``everyone`` (the two added); with ``departures``
    (``sulh.departures.records``) when a convoy of the program has departed; an unknown
    program is NotFound."""
    program_get(code=program_code)
    records = live_records()
    computed = figures_exact(records, program=program_code)
    figures, children = computed["figures"], computed["children"]
    result: dict[str, Any] = {
        "program": program_code,
        "as_of": timezone.now().isoformat(),
        "figures": figures,
        "children": children,
        "everyone": {name: figures[name] + children[name] for name in FIGURES},
        "by_station": computed["by_station"],
    }
    departures = departure_figures(records, program=program_code)
    if departures is not None:
        result["departures"] = departures
    return result


def figures_reconcile(figures: dict[str, int]) -> bool:
    parts = ("amnesty_granted", "departure", "referred", "denied", "pending")
    return figures["registered"] == sum(figures[part] for part in parts)
