"""The program's terms a departure must keep: its window and what may be carried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sulh.core.errors import ValidationFailed
from sulh.programs.definition import ProgramDefinition

ITEM_KINDS = ("weapon", "ammunition", "belongings")
TAG_MAX = 60


def departure_window(definition: ProgramDefinition) -> tuple[dt.datetime, dt.datetime]:
    """When the program's people may leave: from its opening to its deadline, or to the end
    of its window (``window_hours``) when that comes first (the 48-hour withdrawal)."""
    closes = definition.deadline
    if definition.window_hours is not None:
        closes = min(closes, definition.opens_at + dt.timedelta(hours=definition.window_hours))
    return definition.opens_at, closes


def items_check(
    items: Sequence[Mapping[str, Any]],
    *,
    definition: ProgramDefinition,
    is_child: bool,
    field: str,
) -> list[dict[str, Any]]:
    """What one traveller declares, against the program's carry allowance: no heavy weapon
    ever, at most one weapon declared by serial or tag where weapons may be carried, none
    for a child. Returns the items cleaned, or refuses naming the item's field."""
    allowance = definition.carry_allowance.weapons
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        at = f"{field}[{index}]"
        kind = str(item.get("kind", ""))
        if kind not in ITEM_KINDS:
            raise ValidationFailed(f"must be one of {', '.join(ITEM_KINDS)}", field=f"{at}.kind")
        heavy = bool(item.get("heavy", False))
        tag = " ".join(str(item.get("tag", "")).split())
        if kind != "belongings":
            _weapon_check(allowance, heavy=heavy, is_child=is_child, at=at, kind=kind)
        if kind == "weapon":
            if any(c["kind"] == "weapon" for c in cleaned):
                raise ValidationFailed("one weapon per traveller may be carried", field=at)
            if not 1 <= len(tag) <= TAG_MAX:
                raise ValidationFailed(
                    f"a carried weapon is declared by its serial or tag (1 to {TAG_MAX} "
                    "characters)",
                    field=f"{at}.tag",
                )
        cleaned.append({"kind": kind, "heavy": heavy, "tag": tag})
    return cleaned


def _weapon_check(allowance: str, *, heavy: bool, is_child: bool, at: str, kind: str) -> None:
    if heavy:
        raise ValidationFailed(
            "a heavy weapon may not be carried: it is surrendered", field=f"{at}.heavy"
        )
    if allowance == "none":
        raise ValidationFailed(f"the program allows no {kind} to be carried", field=f"{at}.kind")
    if is_child:
        raise ValidationFailed(f"a child carries no {kind}", field=f"{at}.kind")
