"""Template helpers for the officers' pages: an error shown beside the box it is about,
and a candidate's evidence in words (codes are named by ``sulh_labels``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from sulh.web.labels import evidence_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def field_error(context: Any, *parts: Any) -> str:
    """The error of the last action, beside the box whose id is ``parts`` joined, if the
    error is about that box; else nothing."""
    box = "".join(str(part) for part in parts)
    if not box or context.get("error_at") != box:
        return ""
    return format_html(
        '<p class="error field-error" role="alert" id="{}-error"><strong>{}</strong>: {}</p>',
        box,
        context.get("error_label", ""),
        context.get("error", ""),
    )


@register.filter
def evidence_shown(evidence: Any) -> list[dict[str, str]]:
    """``{% for e in row.evidence|evidence_shown %}``: labels and words, not codes."""
    return evidence_rows(evidence or [])
