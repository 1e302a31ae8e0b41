"""A copy of the database does not tell a short name from a long one by its ciphertext."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.keys import sealing
from sulh.keys.sealing import SealError, blind_index, open_sealed, seal
from sulh.registry.models import Person
from sulh.registry.schemas import IntakeIn
from sulh.registry.services import national_id_index
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _stored_given_names() -> list[str]:
    with connection.cursor() as cursor:  # what the attacker reads: the column as stored
        cursor.execute("SELECT given_name_lat FROM registry_person ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_names_of_three_and_eleven_letters_seal_to_the_same_length(personas, programs):
    for given in ("Qaz", "Qazwsxedcrf"):  # 3 and 11 letters, not anyone's name
        payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
        payload["person"]["given_name_lat"] = given
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    short, long = _stored_given_names()
    assert short.startswith("v2:") and long.startswith("v2:")
    assert len(short) == len(long)


def test_padding_comes_off_exactly_and_buckets_grow_with_the_value():
    for text in ("", "x", "ع" * 10, "a\x00", "b\x80", "y" * 31, "z" * 5000):
        assert open_sealed(seal(text, context="t.T.f"), context="t.T.f") == text
    assert len(seal("a" * 20, context="t.T.f")) == len(seal("a", context="t.T.f"))
    assert len(seal("a" * 40, context="t.T.f")) > len(seal("a" * 20, context="t.T.f"))


def test_an_unpadded_older_token_still_opens_and_a_moved_one_does_not():
    ring = sealing.keyring()
    nonce = b"\x01" * sealing.NONCE_BYTES
    body = sealing._cipher(ring.data_keys[ring.active]).encrypt(nonce, b"old", b"t.T.f")
    token = "v1:" + ring.active + ":" + sealing.base64.b64encode(nonce + body).decode()
    assert open_sealed(token, context="t.T.f") == "old"
    with pytest.raises(SealError, match="altered or moved"):
        open_sealed(token, context="t.T.g")


def test_the_same_national_number_in_two_programs_gives_unrelated_index_values(personas, programs):
    number = "40917236185"  # generated, nobody's
    for code, when in (
        ("aleppo-2016-amnesty", WHEN),
        ("aleppo-2024-defectors", dt.datetime(2024, 12, 3, 9, tzinfo=dt.UTC)),
    ):
        payload = make_intake(code, submitted_at=when)
        payload["person"]["national_id"] = number
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    with connection.cursor() as cursor:  # what the attacker reads: the index column as stored
        cursor.execute("SELECT national_id_index FROM registry_person ORDER BY id")
        first, second = (row[0] for row in cursor.fetchall())
    assert first and second and first != second


def test_the_migration_rekeys_indexes_stored_under_the_single_key(personas, programs):
    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    intake = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    person = intake.case.intake.person
    old = blind_index(person.national_id, purpose="national_id")  # as stored before
    column_bound = seal(person.national_id, context="registry.Person.national_id")  # ditto
    with connection.cursor() as cursor:  # the row as it was when this step ran
        cursor.execute(
            "UPDATE registry_person SET national_id_index = %s, national_id = %s WHERE id = %s",
            [old, column_bound, person.pk],
        )
    step = importlib.import_module("sulh.registry.migrations.0004_national_id_index_per_program")
    step.rekey(None, SimpleNamespace(connection=connection))  # the step reads only this
    [stored] = Person.objects.filter(pk=person.pk).values_list("national_id_index", flat=True)
    assert stored == national_id_index(person.national_id, program="aleppo-2016-amnesty")
    assert stored != old
