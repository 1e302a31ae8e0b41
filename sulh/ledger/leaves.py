"""Leaves of the transparency log, and the event records they commit to.

The log has two tiers (DESIGN.md §7). A **public leaf** says nothing about a person or a
case: it is either a salted commitment to an event record,
``{"commitment": "<hex SHA-256>"}``, or a program's exact totals as published,
``{"as_of_size": N, "exact": {"registered": 1324}, "program": "..."}``.

An **event record** (what a commitment hides, opened only to an accredited monitor) is
``event``, ``program``, ``station``, ``day`` and the case's ``link`` pseudonym (keyed by a
key that never leaves the site; it links one case's events and nothing else); ``outcome``
on decisions; ``sex`` and ``age_band`` (``child`` for anyone under 18 or of disputed age)
on registrations. A corridor tally record is ``event: "corridor_count"`` with ``program``,
``station`` (the crossing point), ``day`` and ``count``, and no link. A registration closed
as another registration of the same person (``closed_as_duplicate``) carries its own link
only, never the survivor's. A **padding** record (``{"event": "padding"}``) rounds each
published batch up so the number of leaves between two heads tells little.

commitment = SHA-256("sulh-commitment/1" || 0x00 || salt (32 bytes) || canonical record),
where the canonical form is JSON with sorted keys, no spaces, UTF-8, empty fields left out.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sulh.keys.signing import canonical

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
PADDING_EVENT = "padding"
COMMITMENT_DOMAIN = b"sulh-commitment/1\x00"
SALT_BYTES = 32


def event_record(
    *,
    event: str,
    program: str = "",
    station: str = "",
    day: str = "",
    link: str = "",
    outcome: str = "",
    sex: str = "",
    age_band: str = "",
    count: int | None = None,
) -> dict[str, Any]:
    """The record a commitment hides; empty fields left out."""
    record: dict[str, Any] = {"event": event}
    for name, value in (
        ("program", program), ("station", station), ("day", day), ("link", link),
        ("outcome", outcome), ("sex", sex), ("age_band", age_band),
    ):  # fmt: skip
        if value:
            record[name] = value
    if count is not None:
        record["count"] = count
    return record


def commitment_of(salt: bytes, record: dict[str, Any]) -> str:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt is {SALT_BYTES} bytes, not {len(salt)}")
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + canonical(record)).hexdigest()


def commitment_leaf(commitment: str) -> bytes:
    return canonical({"commitment": commitment})


def totals_leaf(*, program: str, as_of_size: int, exact: dict[str, int]) -> bytes:
    """A program's exactly published totals, over the first ``as_of_size`` leaves."""
    return canonical({"as_of_size": as_of_size, "exact": exact, "program": program})


def leaf_commitment(leaf: dict[str, Any]) -> str | None:
    """The commitment a public leaf carries; None for a totals leaf."""
    value = leaf.get("commitment")
    return value if isinstance(value, str) else None
