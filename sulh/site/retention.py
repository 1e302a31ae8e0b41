"""Data minimisation: erase what a program's retention period no longer allows.

A case is due when its program's ``retention_days`` have passed since its last
activity and since the end of validity of its last card. Erasure blanks every
sealed personal field of the person, the family members and the documents, the
card texts, the match keys and evidence and the free-text reasons; the case, its
states, outcome and counted events stay (the public figures do not change), and an
audit entry records that the case was erased, not what it held.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from sulh.audit.services import audit_purposes_erase, audit_record
from sulh.cards.services import cards_erase_for_case
from sulh.cases.models import Case
from sulh.cases.services import case_erase_reasons
from sulh.departures.services import departures_erase_for_case
from sulh.matching.candidates import candidates_naming_case
from sulh.matching.erasure import match_data_erase
from sulh.programs.services import program_get_definition, programs_all
from sulh.registry.services import intake_erase


@dataclass
class RetentionReport:
    erased: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.erased.values())


def cases_due(*, now: dt.datetime) -> list[Case]:
    due: list[Case] = []
    for program in programs_all():
        days = program_get_definition(code=program.code).retention_days
        cutoff = now - dt.timedelta(days=days)
        candidates = (
            Case.objects.filter(program=program, erased_at__isnull=True, updated_at__lt=cutoff)
            .annotate(card_end=Max("cards__valid_until"))
            .filter(Q(card_end__isnull=True) | Q(card_end__lt=cutoff))
            .select_related("intake__person", "program")
        )
        due.extend(candidates)
    return due


def case_erase(*, case: Case, now: dt.datetime) -> None:
    """Each package erases its own part of the case, in one transaction."""
    with transaction.atomic():
        intake_erase(intake=case.intake)
        cards_erase_for_case(case_id=case.pk)
        departures_erase_for_case(case_id=case.pk)
        match_data_erase(case_id=case.pk)
        case_erase_reasons(case=case, now=now)
        candidates = candidates_naming_case(case_id=case.pk)
        audit_purposes_erase(
            objects=[
                ("case", str(case.pk)),
                ("case", case.intake.serial),  # refused reads name the serial asked for
                *(("match_candidate", str(pk)) for pk in candidates.values_list("pk", flat=True)),
            ]
        )
        audit_record(
            actor=None, action="case_erased", obj_type="case", obj_id=case.intake.serial,
            purpose="retention period over", details={"program": case.program.code},
        )  # fmt: skip


def retention_run(*, now: dt.datetime | None = None, dry_run: bool = False) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    for case in cases_due(now=now):
        report.erased[case.program.code] = report.erased.get(case.program.code, 0) + 1
        if not dry_run:
            case_erase(case=case, now=now)
    return report
