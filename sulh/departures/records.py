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
    has departed."""
    counts = dict.fromkeys(FIGURES, 0)
    for record in records:
        if record is None or record.get("program") != program:
            continue
        event = record.get("event")
        if event == "convoy_departed":
            counts["convoys"] += 1
            counts["orders"] += int(record.get("orders", 0))
        elif event == "vehicle_departed":
            for name in ("manifested", "boarded", "no_show"):
                counts[name] += int(record.get(name, 0))
        elif event == "convoy_incident" and record.get("kind") in ("removed", "returned"):
            counts[str(record["kind"])] += int(record.get("count", 0))
        elif event == "traveller_arrived":
            counts["arrived"] += int(record.get("count", 0))
    if not counts["convoys"]:
        return None
    counts["departed"] = counts["boarded"]
    counts["unaccounted"] = (
        counts["boarded"] - counts["arrived"] - counts["removed"] - counts["returned"]
    )
    return counts


def departures_reconcile(figures: dict[str, int]) -> bool:
    return figures["manifested"] == figures["boarded"] + figures["no_show"] and figures[
        "boarded"
    ] == sum(figures[name] for name in ("arrived", "removed", "returned", "unaccounted"))
