"""Exports of personal data: requested with a purpose, approved by a second officer,
written once by the requester; children's cases and erased cases are never exported."""

from __future__ import annotations

import csv
import io

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import (
    Action,
    program_bound,
    require,
    require_same_officer,
    require_second_officer,
)
from sulh.audit.services import audit_record
from sulh.cases.models import Case, ExportRequest
from sulh.cases.selectors import program_served_check, served_programs
from sulh.core.errors import Conflict, ValidationFailed
from sulh.programs.services import program_get

COLUMNS = (
    "serial", "station", "state", "outcome", "given_name_ar", "father_name_ar",
    "family_name_ar", "given_name_lat", "father_name_lat", "family_name_lat", "birth_date",
    "national_id",
)  # fmt: skip


def export_request(*, user: User, program_code: str, purpose: str) -> ExportRequest:
    require(user, Action.REQUEST_EXPORT)
    purpose = (purpose or "").strip()
    if len(purpose) < 10:
        raise ValidationFailed(
            "say what the export is for (at least 10 characters)", field="purpose"
        )
    program = program_get(code=program_code)
    program_served_check(user=user, program_id=program.pk)
    with transaction.atomic():
        request = ExportRequest.objects.create(program=program, purpose=purpose, requested_by=user)
        audit_record(
            actor=user, action="export_requested", obj_type="export", obj_id=str(request.pk),
            purpose=purpose, details={"program": program.code},
        )  # fmt: skip
    return request


def export_approve(*, request: ExportRequest, user: User) -> ExportRequest:
    require(user, Action.APPROVE_EXPORT)
    with transaction.atomic():
        request = ExportRequest.objects.select_for_update().get(pk=request.pk)
        require_second_officer(user, Action.APPROVE_EXPORT, first=request.requested_by_id)
        if request.approved_at is not None:
            raise Conflict("this export is already approved", field="export")
        request.approved_by, request.approved_at = user, timezone.now()
        request.save(update_fields=["approved_by", "approved_at"])
        audit_record(
            actor=user, action="export_approved", obj_type="export", obj_id=str(request.pk)
        )
    return request


def export_write(*, request: ExportRequest, user: User) -> str:
    """The CSV, once, for the officer who asked, after approval."""
    require(user, Action.WRITE_EXPORT)
    with transaction.atomic():
        request = ExportRequest.objects.select_for_update().get(pk=request.pk)
        require_same_officer(user, Action.WRITE_EXPORT, first=request.requested_by_id)
        if request.approved_at is None:
            raise Conflict("a second officer has not approved this export yet", field="export")
        if request.written_at is not None:
            raise Conflict("this export was already written: ask again", field="export")
        cases = Case.objects.filter(program=request.program, is_child=False, erased_at__isnull=True)
        if program_bound(user):  # by station too, where the program is served by station
            cases = cases.filter(served_programs(user=user))
        cases = cases.select_related("intake__person", "station").order_by("intake__serial")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        count = 0
        for case in cases:
            person = case.intake.person
            writer.writerow(
                [case.intake.serial, case.station.code, case.state, case.outcome]
                + [getattr(person, name) for name in COLUMNS[4:]]
            )
            count += 1
        request.written_at = timezone.now()
        request.save(update_fields=["written_at"])
        audit_record(
            actor=user, action="export_written", obj_type="export", obj_id=str(request.pk),
            details={"cases": count},
        )  # fmt: skip
    return buffer.getvalue()
