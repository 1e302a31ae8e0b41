"""The public reader of sealed columns: tokens as stored by the ORM, opened in bulk."""

from __future__ import annotations

import datetime as dt

import pytest

from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.keys.fields import open_column, open_rows, read_sealed
from sulh.registry.models import Person
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def test_it_reads_the_stored_tokens_and_opens_them_in_bulk(personas, programs):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    person = case.intake.person
    fields = ["given_name_ar", "national_id"]
    [row] = read_sealed(Person.objects.filter(pk=person.pk), fields, key="intake__case__pk")
    assert row.key == case.pk
    assert all(t.startswith("v2:") or t == "" for t in row.tokens)
    assert person.given_name_ar not in row.tokens
    assert open_rows(Person, fields, [row]) == [[person.given_name_ar, person.national_id]]
    assert open_column(Person, "given_name_ar", [person.pk]) == {person.pk: person.given_name_ar}
