"""Online matching of a case against the registry and the loaded lists.

Seam for the cases service: the matching package replaces these with the real
online check (duplicates and list hits, opened as review candidates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sulh.cases.models import Case


def case_screen(*, case: Case) -> list[object]:
    """Open review candidates for ``case``; returns the candidates opened."""
    return []


def case_screening_status(*, case: Case) -> Literal["clear", "pending", "confirmed_match"]:
    """What the rules may know of screening: open list hits are pending, linked ones confirmed."""
    return "clear"
