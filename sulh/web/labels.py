"""Labels for the codes a case holds (outcomes, categories, item kinds, evidence fields),
in the page's language. A code without a label is shown as it is: a program may bring its
own labels later (``program_labels``), which then win over these."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from sulh.cases.models import Outcome

LABELS: dict[str, dict[str, Any]] = {
    "outcome": {str(value): label for value, label in Outcome.choices},
    "category": {
        "combatant": _("combatant"),
        "associated_person": _("person associated with an armed group"),
        "dependant": _("dependant"),
        "child": _("child"),
        "youth": _("youth"),
        "child_mobilized_adult_demobilized": _("mobilised as a child, demobilised as an adult"),
        "foreign_combatant": _("foreign combatant"),
    },
    "origin": {"local": _("local resident"), "non_local": _("not local to the program's area")},
    "relation": {
        "spouse": _("spouse"),
        "child": _("child"),
        "parent": _("parent"),
        "sibling": _("sibling"),
        "other": _("other"),
    },
    "document": {
        "national_id_card": _("national identity card"),
        "military_id": _("military identity card"),
        "passport": _("passport"),
        "family_booklet": _("family booklet"),
    },
    "item": {
        "weapon": _("weapon"),
        "ammunition": _("ammunition"),
        "id_document": _("identity document"),
        "other": _("other"),
    },
    "sex": {"male": _("male"), "female": _("female")},
    "field": {
        "given_name": _("Given name"),
        "father_name": _("Father's name"),
        "grandfather_name": _("Grandfather's name"),
        "family_name": _("Family name"),
        "mother_name": _("Mother's name"),
        "full_name": _("Full name"),
        "name": _("Name"),
        "birth_date": _("Birth date"),
        "birth_year": _("Birth year"),
        "birth_place": _("Birth place"),
        "national_id": _("National number"),
        "sex": _("Sex"),
        "alias": _("Alias"),
        "aliases": _("Aliases"),
    },
    "match": {"duplicate": _("registered before"), "list": _("on a list")},
}


def code_label(
    kind: str, code: Any, program_labels: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """The label of ``code`` (a ``kind`` of code) in the page's language, else the code."""
    code = "" if code is None else str(code)
    own = (program_labels or {}).get(kind, {}).get(code)
    if own is not None:  # a program's bilingual label: {"ar": ..., "en": ...} or an object
        ar = own.get("ar") if isinstance(own, Mapping) else getattr(own, "ar", None)
        en = own.get("en") if isinstance(own, Mapping) else getattr(own, "en", None)
        chosen = ar if get_language() == "ar" else en
        if chosen:
            return str(chosen)
    found = LABELS.get(kind, {}).get(code)
    return str(found) if found is not None else code


def program_text(value: Any) -> str:
    """A program's bilingual text (``.ar``, ``.en``) in the page's language."""
    return str(value.ar if get_language() == "ar" else value.en)


# The matcher's explanations (sulh.matching.score), said in the page's language.
EXPLANATIONS = {
    "same year (one date is year-only)": _("same year (one date is the year only)"),
    "years one apart (one date is year-only)": _("years one apart (one date is the year only)"),
    "same date": _("same date"),
    "day and month swapped": _("day and month swapped"),
    "same day and month, year one apart": _("same day and month, year one apart"),
    "same year, one of day or month differs": _("same year, one of day or month differs"),
    "same year, different day": _("same year, different day"),
    "different dates": _("different dates"),
    "same number": _("same number"),
    "one digit differs": _("one digit differs"),
    "two digits transposed": _("two digits transposed"),
    "different numbers": _("different numbers"),
    "same place": _("same place"),
    "different place": _("different place"),
}
NAME_WORDS = {"same": _("same"), "similar": _("similar"), "different": _("different")}
YEARS_APART = re.compile(r"^years (\d+) apart$")
SIMILARITY = re.compile(r"^(same|similar|different) \((\d(?:\.\d+)?)\)$")


def evidence_rows(evidence: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """A candidate's evidence for the page: the field's label, both sides, what the matcher
    found in words ("similar, 85 %"), and the weight it added, signed."""
    rows = []
    for item in evidence:
        left, right = str(item.get("left") or ""), str(item.get("right") or "")
        explanation = str(item.get("explanation") or "")
        found = SIMILARITY.match(explanation)
        apart = YEARS_APART.match(explanation)
        if explanation == "not recorded on both":
            said = (
                gettext("recorded on one side only")
                if left or right
                else gettext("recorded on neither side")
            )
        elif found:
            said = gettext("%(word)s, %(percent)d%% alike") % {
                "word": NAME_WORDS[found.group(1)],
                "percent": round(float(found.group(2)) * 100),
            }
        elif apart:
            said = gettext("years %(n)s apart") % {"n": apart.group(1)}
        else:
            said = str(EXPLANATIONS.get(explanation, explanation))
        weight = float(item.get("weight") or 0.0)
        rows.append(
            {
                "field": code_label("field", item.get("field")),
                "left": left,
                "right": right,
                "said": said,
                "weight": f"{weight:+.1f}" if weight else "0",
            }
        )
    return rows
