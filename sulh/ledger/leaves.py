"""Leaves of the transparency log: canonical JSON with nothing personal in it."""

from __future__ import annotations

import json
from typing import Any

COUNTED_EVENTS = frozenset(
    {
        "registered",
        "decision_taken",
        "card_issued",
        "card_revoked",
        "appealed",
        "eligibility_revoked",
    }
)


def canonical_leaf(
    *, event: str, program: str, station: str, day: str, case: str, outcome: str = ""
) -> bytes:
    """``{"case","day","event","outcome"?,"program","station"}``: sorted keys, no spaces, UTF-8."""
    leaf: dict[str, Any] = {
        "event": event,
        "program": program,
        "station": station,
        "day": day,
        "case": case,
    }
    if outcome:
        leaf["outcome"] = outcome
    return json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
