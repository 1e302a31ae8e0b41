"""What the officers' pages say in words: a program's bilingual texts, and a match
candidate's evidence (field names and the matcher's explanations) in the page's language.
Codes are named through ``sulh.web.templatetags.sulh_labels.code_label``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from sulh.web.templatetags.sulh_dates import day_first
from sulh.web.templatetags.sulh_labels import code_label


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
    """A candidate's evidence for the page: the field's label, both sides (a day as
    12/04/1988), what the matcher found in words ("similar, 85 %"), and the weight it
    added, signed."""
    rows = []
    for item in evidence:
        # a day compared is shown day-first, as every other date on the pages
        left, right = (
            day_first(str(item.get("left") or "")),
            day_first(str(item.get("right") or "")),
        )
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
