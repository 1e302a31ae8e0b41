"""The departure figures, counted from the log's event records alone (no names, no
database): what ``program_figures`` reports and what a monitor recounts from the openings.

The records (``docs/departures.md``): ``convoy_departed`` (one a convoy: ``orders``,
``vehicles``), ``vehicle_departed`` (one a vehicle: ``manifested``, ``boarded``,
``no_show``, headcounts, the manifest's hash), ``convoy_incident`` (``kind``, ``count``
of persons for ``removed`` and ``returned``), ``traveller_arrived`` (``count`` 1 a scan)
and ``convoy_arrived``. Every figure satisfies manifested = boarded + no_show and
boarded = arrived + removed + returned + unaccounted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sulh.ledger.disclosure import departure_moves

DEPARTURE_EVENTS = frozenset(
    {"convoy_departed", "vehicle_departed", "convoy_incident", "traveller_arrived",
     "convoy_arrived"}
)  # fmt: skip
FIGURES = (
    "orders", "manifested", "boarded", "no_show", "departed", "arrived", "removed",
    "returned", "unaccounted", "convoys",
)  # fmt: skip


def departure_figures(
    records: Iterable[dict[str, Any] | None], *, program: str
) -> dict[str, int] | None:
    """The program's departure figures from the records; None when none of its convoys
    has departed. The people's figures move as ``departure_moves`` says (the bulletin's
    departures section counts by the same rules); orders, manifested and convoys are
    the convoys' and vehicles' own counts."""
    counts = dict.fromkeys(FIGURES, 0)
    for record in records:
        if record is None or record.get("program") != program:
            continue
        event = record.get("event")
        if event == "convoy_departed":
            counts["convoys"] += 1
            counts["orders"] += int(record.get("orders", 0))
        elif event == "vehicle_departed":
            counts["manifested"] += int(record.get("manifested", 0))
        for name, people in departure_moves(record):
            if name in counts:
                counts[name] += people
    if not counts["convoys"]:
        return None
    counts["boarded"] = counts["departed"]
    return counts


def departures_reconcile(figures: dict[str, int]) -> bool:
    return figures["manifested"] == figures["boarded"] + figures["no_show"] and figures[
        "boarded"
    ] == sum(figures[name] for name in ("arrived", "removed", "returned", "unaccounted"))
