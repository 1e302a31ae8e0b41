"""One date style for the staff pages, in both languages: day/month/year (as the intake form
asks for it), times in the program's own zone, named by its place ("Damascus time") and
never by an abbreviation that changes with the rules (EET in 2016, "+03" today).

    {% load sulh_dates %}
    {% local_time event.at case.program.code %}   {# 06/12/2026 03:33 Damascus time #}
    {{ card.valid_until|day }}                      {# 06/12/2027 #}
    {{ person.birth_date|birth_date }}              {# "1988-04-03" -> 03/04/1988 #}
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sulh.programs.definition import ProgramDefinition
from sulh.web.templatetags.sulh_labels import program_definition

register = template.Library()

DAY, TIME = "%d/%m/%Y", "%H:%M"
ZONE_NAMES = {"Asia/Damascus": _("Damascus time"), "UTC": _("UTC")}


def zone_name(zone: str) -> str:
    named = ZONE_NAMES.get(zone)
    return zone if named is None else str(named)


def local_time_text(at: dt.datetime | None, program: ProgramDefinition | str | None) -> str:
    """``at`` in the program's zone (the site's when no program is given), zone named."""
    if at is None:
        return ""
    definition = program_definition(program)
    zone = definition.timezone if definition is not None else settings.TIME_ZONE
    return f"{at.astimezone(ZoneInfo(zone)).strftime(f'{DAY} {TIME}')} {zone_name(zone)}"


@register.simple_tag(name="local_time")
def local_time_tag(at: dt.datetime | None, program: ProgramDefinition | str | None = None) -> str:
    return local_time_text(at, program)


@register.filter(name="day")
def day_filter(value: dt.date | dt.datetime | None) -> str:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return "" if value is None else value.strftime(DAY)


@register.filter(name="birth_date")
def day_first(value: str | None) -> str:
    """A day as recorded ("YYYY-MM-DD", or a birth year alone) in the day-first style."""
    text = value or ""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    return f"{match[3]}/{match[2]}/{match[1]}" if match else text
