"""The controlled vocabularies of custody records: calibres (with the class the figures
group them by), item kinds, serial statuses, where a marking is on an item.

Pure: the verifier and the monitor read it without Django.
"""

from __future__ import annotations

# Calibre → calibre class. Small arms below 14.5 mm, light weapons from 14.5 mm and the
# launchers, as IATG and IDDRS 4.10 group them for storage and destruction priorities.
CALIBRES: dict[str, str] = {
    "5.45x39mm": "small_arms",
    "5.56x45mm": "small_arms",
    "7.62x25mm": "small_arms",
    "7.62x39mm": "small_arms",
    "7.62x51mm": "small_arms",
    "7.62x54mmR": "small_arms",
    "9x18mm": "small_arms",
    "9x19mm": "small_arms",
    ".45ACP": "small_arms",
    ".22LR": "small_arms",
    "12gauge": "small_arms",
    "12.7x99mm": "heavy_machine_gun",
    "12.7x108mm": "heavy_machine_gun",
    "14.5x114mm": "light_weapons",
    "23x152mm": "light_weapons",
    "40mm": "light_weapons",
    "60mm": "light_weapons",
    "73mm": "light_weapons",
    "82mm": "light_weapons",
    "85mm": "light_weapons",
    "105mm": "light_weapons",
    "107mm": "light_weapons",
    "120mm": "light_weapons",
    "122mm": "light_weapons",
}

# Kinds that carry a calibre from the vocabulary; explosives may; the others never do.
KINDS_WITH_CALIBRE = frozenset({"weapon", "ammunition"})
KINDS_MAY_HAVE_CALIBRE = frozenset({"explosive"})
MARKING_SCRIPTS = ("arabic", "latin", "cyrillic", "chinese", "other")
MARKING_PLACES = ("frame", "receiver", "slide", "barrel", "bolt", "stock", "magazine", "other")


def calibre_class(calibre: str) -> str:
    """The calibre's class, or ``"none"`` for an item without one."""
    return CALIBRES.get(calibre, "none")
