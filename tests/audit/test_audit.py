"""The audit trail records reads and decisions, and a removed or altered entry is detected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from sulh.audit.models import AuditEntry
from sulh.audit.services import audit_verify
from sulh.cases import selectors
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.errors import NotFound
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def history(personas, programs):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    selectors.case_get_for_user(
        user=personas["decider"], serial=case.intake.serial, purpose="decide"
    )
    case_services.decision_record(case=case, user=personas["decider"], outcome="amnesty", reason="")
    with pytest.raises(NotFound):
        selectors.case_get_for_user(user=personas["clerk2"], serial=case.intake.serial)
    return case


def test_reads_refusals_and_decisions_are_recorded_with_who_and_why(history):
    rows = [(e.actor, e.action, e.purpose) for e in AuditEntry.objects.all()]
    assert ("decider-fadi", "case.read", "decide") in rows
    assert ("clerk-basel", "case.read_refused", "") in rows
    assert ("decider-fadi", "case.decision_taken", "") in rows
    assert ("clerk-amal", "case.registered", "") in rows


def test_an_intact_trail_verifies(history, capsys):
    assert audit_verify().broken_at is None
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def _sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_altered_entry_is_detected(history, capsys):
    _sql("UPDATE audit_auditentry SET actor = %s WHERE seq = 2", "someone-else")
    report = audit_verify()
    assert (report.broken_at, report.reason) == (2, "was altered after it was written")
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at entry 2" in capsys.readouterr().out


def test_a_removed_entry_is_detected(history):
    _sql("DELETE FROM audit_auditentry WHERE seq = 3")
    assert audit_verify().broken_at == 3


def test_a_removed_last_entry_is_detected(history):
    last = AuditEntry.objects.order_by("-seq").first().seq
    _sql("DELETE FROM audit_auditentry WHERE seq = %s", last)
    assert audit_verify().broken_at == last
