"""F4 of the red-team review: a sealed value is bound to its row, not only its column.

The attacker writes to a copy of the database (no keys) and moves ciphertexts: a
person's name into another person's row, a reason into another case's event, or a token
from an older backup (sealed to the column alone) into a row today. None of them opens.
The database is changed with SQL, as the attacker would, and read back through the site.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import FieldError
from django.db import connection, transaction

from sulh.cases import services
from sulh.cases.intake import intake_register
from sulh.cases.models import CaseEvent
from sulh.core.validation import parse
from sulh.keys.fields import bind_rows, open_rows, read_sealed, sealed_fields
from sulh.keys.sealing import SealError, seal
from sulh.registry.models import Person
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _register(personas, given: str):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    payload["person"]["given_name_lat"] = given
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case


def _raw(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_a_name_copied_into_another_persons_row_does_not_open(personas, programs):
    first, second = _register(personas, "Qazwan"), _register(personas, "Zubair")
    a, b = first.intake.person_id, second.intake.person_id
    [(token,)] = _raw("SELECT given_name_lat FROM registry_person WHERE id = %s", [a])
    _raw("UPDATE registry_person SET given_name_lat = %s WHERE id = %s", [token, b])
    assert Person.objects.get(pk=a).given_name_lat == "Qazwan"  # the original still opens
    with pytest.raises(SealError, match="altered or moved"):
        Person.objects.get(pk=b)
    # the bulk reader matching uses refuses it as well
    with pytest.raises(SealError, match="altered or moved"):
        open_rows(
            Person, ["given_name_lat"], read_sealed(Person.objects.filter(pk=b), ["given_name_lat"])
        )


def test_a_reason_moved_to_another_cases_event_does_not_open(personas, programs):
    cases = [_register(personas, given) for given in ("Qazwan", "Zubair")]
    decisions = [
        services.decision_record(case=case, user=personas["decider"], outcome="denial", reason=why)
        for case, why in zip(cases, ("an informant named him", "no reason to name"), strict=True)
    ]
    [(token,)] = _raw("SELECT reason FROM cases_decision WHERE id = %s", [decisions[0].pk])
    _raw("UPDATE cases_decision SET reason = %s WHERE id = %s", [token, decisions[1].pk])
    with pytest.raises(SealError, match="altered or moved"):
        services.Decision.objects.get(pk=decisions[1].pk)
    events = CaseEvent.objects.filter(case=cases[0]).exclude(reason="").order_by("id")
    [(event_token,)] = _raw("SELECT reason FROM cases_caseevent WHERE id = %s", [events[0].pk])
    other = CaseEvent.objects.filter(case=cases[1]).order_by("id").first()
    _raw("UPDATE cases_caseevent SET reason = %s WHERE id = %s", [event_token, other.pk])
    with pytest.raises(SealError):
        list(CaseEvent.objects.filter(case=cases[1]))


def test_a_token_from_an_older_backup_sealed_to_the_column_alone_does_not_open(personas, programs):
    case = _register(personas, "Qazwan")
    person = case.intake.person
    old = seal("Yazid", context="registry.Person.given_name_lat")  # how values were sealed
    _raw("UPDATE registry_person SET given_name_lat = %s WHERE id = %s", [old, person.pk])
    with pytest.raises(SealError, match="altered or moved"):
        Person.objects.get(pk=person.pk)


def test_the_migration_binds_column_sealed_values_to_their_rows(personas, programs):
    case = _register(personas, "Qazwan")
    person = case.intake.person
    contexts = {field.column: field.sealed_under for field in sealed_fields(Person)}
    for column, context in contexts.items():  # the row as it was before binding
        value = getattr(person, column)
        old = seal(value, context=context) if value else ""
        _raw(f"UPDATE registry_person SET {column} = %s WHERE id = %s", [old, person.pk])  # noqa: S608
    _raw("UPDATE registry_person SET seal_row = %s WHERE id = %s", ["stale-id", person.pk])
    step = bind_rows("registry_person", contexts)
    step(None, type("Editor", (), {"connection": connection})())
    again = Person.objects.get(pk=person.pk)
    assert again.given_name_lat == "Qazwan" and again.seal_row != "stale-id"
    assert again.family_name_lat == person.family_name_lat  # other columns untouched


def test_a_bulk_update_can_blank_a_sealed_value_but_not_write_one(personas, programs):
    case = _register(personas, "Qazwan")
    people = Person.objects.filter(pk=case.intake.person_id)
    with pytest.raises(FieldError, match="given_name_lat"), transaction.atomic():
        people.update(given_name_lat="Zubair")  # no row to bind it to
    assert people.get().given_name_lat == "Qazwan"  # nothing half-written
    people.update(birth_place="")  # erasure blanks in bulk
    assert people.get().birth_place == ""


def test_the_size_of_a_sealed_list_says_nothing_of_how_long_it_is(personas, programs):
    """Third red-team review: with the database alone, the length of the sealed list of
    permitted destinations (one for one armed group, three for the others) picked out the
    members of a designated group, 139 of 139."""
    case = _register(personas, "Qazwan")
    lengths = []
    for destinations in (["idlib"], ["idlib", "aleppo-city", "northern-countryside"]):
        case.proposed_destinations = destinations
        case.save(update_fields=["proposed_destinations"])
        [(stored,)] = _raw("SELECT proposed_destinations FROM cases_case WHERE id = %s", [case.pk])
        lengths.append(len(stored))
    assert lengths[0] == lengths[1]
