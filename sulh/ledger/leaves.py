"""Leaves of the transparency log: canonical JSON with nothing personal in it.

A case event leaf: ``event``, ``program``, ``station``, ``day`` and the case's keyed
pseudonym ``case``; ``outcome`` on decisions; ``sex`` and ``age_band`` (``child``
for anyone under 18 or of disputed age) on registrations. A corridor tally leaf:
``event: "corridor_count"``, ``program``, ``station`` (the crossing point), ``day``
and ``count``, with no case. A registration closed as another registration of the same
person (``closed_as_duplicate``) carries its own pseudonym only, never the survivor's: the
figures drop it, and nothing in the log says which two cases are one person.
"""

from __future__ import annotations

import json
from typing import Any

DUPLICATE_EVENT = "closed_as_duplicate"
COUNTED_EVENTS = frozenset(
    {
        "registered",
        "decision_taken",
        "card_issued",
        "card_revoked",
        "appealed",
        "eligibility_revoked",
        DUPLICATE_EVENT,
    }
)
CORRIDOR_EVENT = "corridor_count"


def canonical_leaf(
    *,
    event: str,
    program: str,
    station: str,
    day: str,
    case: str = "",
    outcome: str = "",
    sex: str = "",
    age_band: str = "",
    count: int | None = None,
) -> bytes:
    """Sorted keys, no spaces, UTF-8; empty fields left out."""
    leaf: dict[str, Any] = {"event": event, "program": program, "station": station, "day": day}
    for name, value in (("case", case), ("outcome", outcome), ("sex", sex), ("age_band", age_band)):
        if value:
            leaf[name] = value
    if count is not None:
        leaf["count"] = count
    return json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
