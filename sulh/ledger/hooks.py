"""Where case events enter the transparency log.

Registered at start-up (``LedgerConfig.ready``) on ``sulh.cases.hooks.case_transitioned``,
so it runs inside the transaction that records a transition; each event that counts in
the figures becomes a commitment leaf (its record sealed beside it).
"""

from __future__ import annotations

import functools

from sulh.cases.models import CaseEvent
from sulh.core.deferred import defer
from sulh.ledger.leaves import COUNTED_EVENTS
from sulh.ledger.services import case_pseudonym, ledger_append


def on_case_transition(transition: CaseEvent) -> None:
    if transition.event not in COUNTED_EVENTS:
        return
    case = transition.case
    sex = age_band = ""
    if transition.event == "registered":
        person = case.intake.person
        sex, age_band = person.sex, "child" if case.is_child else person.age_band
    append = functools.partial(
        ledger_append,
        event=transition.event,
        program=case.program.code,
        station=case.station.code,
        day=transition.at.date().isoformat(),
        link=case_pseudonym(str(case.intake.uuid)),
        outcome=transition.outcome,
        sex=sex,
        age_band=age_band,
    )
    if not defer(append):
        append()
