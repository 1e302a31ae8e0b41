"""Every bad input gets a clear error naming the field, and nothing is half-written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sulh.cases.intake import intake_register
from sulh.cases.models import Case, CaseEvent
from sulh.core.errors import SulhError
from sulh.core.validation import parse
from sulh.registry.models import FamilyMember, Intake, Person, SurrenderedItem
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2024-defectors"
OPEN_AT = dt.datetime(2024, 12, 2, 10, 0, tzinfo=dt.UTC)


def _register(personas: dict[str, Any], payload: dict[str, Any]) -> Any:
    return intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=OPEN_AT)


def _valid(**overrides: Any) -> dict[str, Any]:
    payload = make_intake(
        PROGRAM, seed=7, submitted_at=OPEN_AT, affiliation="army", category="combatant"
    )
    payload.update(overrides)
    return payload


def _nothing_saved() -> None:
    for model in (Intake, Person, Case, CaseEvent, FamilyMember, SurrenderedItem):
        assert model.objects.count() == 0, model.__name__


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda p: p.update(program="no-such-program"), "program", "no-such-program"),
        (
            lambda p: p["person"].update(birth_date="1990-02-30"),
            "person.birth_date",
            "real calendar day",
        ),
        (lambda p: p["person"].update(birth_date="12/05/1990"), "person.birth_date", "YYYY-MM-DD"),
        (lambda p: p["person"].update(birth_date="2090-01-01"), "person.birth_date", "future"),
        (lambda p: p["person"].update(birth_date="1850"), "person.birth_date", "not a possible"),
        (lambda p: p["person"].pop("sex"), "person.sex", "required"),
        (lambda p: p.pop("origin"), "origin", "required"),
        (
            lambda p: p["person"].update(given_name_ar="", given_name_lat=""),
            "person.given_name_ar",
            "given name",
        ),
        (
            lambda p: p["person"].update(given_name_ar="م" * 101),
            "person.given_name_ar",
            "at most 100",
        ),
        (
            lambda p: p["person"].update(given_name_ar="Mohammed"),
            "person.given_name_ar",
            "Arabic script",
        ),
        (
            lambda p: p["person"].update(family_name_lat="الحلبي"),
            "person.family_name_lat",
            "Latin script",
        ),
        (
            lambda p: p["person"].update(given_name_lat="Omar\x00"),
            "person.given_name_lat",
            "control",
        ),
        (lambda p: p["person"].update(national_id="12ab"), "person.national_id", "digits"),
        (
            lambda p: p.update(
                items=[{"kind": "weapon", "weapon_type": "rifle", "serial_number": "unreadable"}]
            ),
            "items[0].serial_number",
            "placeholder",
        ),
        (
            lambda p: p.update(
                items=[{"kind": "weapon", "weapon_type": "rifle", "serial_number": "XXX"}]
            ),
            "items[0].serial_number",
            "placeholder",
        ),
        (
            lambda p: p.update(
                items=[{"kind": "weapon", "weapon_type": "rifle", "serial_number": "none"}]
            ),
            "items[0].serial_number",
            "placeholder",
        ),
        (
            lambda p: p.update(items=[{"kind": "weapon", "weapon_type": "rifle"}]),
            "items[0].serial_number",
            "no_serial",
        ),
        (lambda p: p.update(category="wizard"), "category", "must be one of"),
        (lambda p: p.update(affiliation="no-such-force"), "affiliation", "not an affiliation"),
        (lambda p: p["pledge"].update(version="0"), "pledge.version", "pledge version"),
        (lambda p: p.update(unexpected="x"), "unexpected", "not a known field"),
    ],
)
def test_it_names_the_field_and_saves_nothing(personas, programs, change, field, words):
    payload = _valid()
    change(payload)
    with pytest.raises(SulhError) as caught:
        _register(personas, payload)
    assert caught.value.field == field
    assert words in caught.value.message
    _nothing_saved()


def test_it_refuses_an_intake_after_the_deadline(personas, programs):
    late = dt.datetime(2024, 12, 7, 9, 0, tzinfo=dt.UTC)
    payload = _valid(submitted_at=late)
    with pytest.raises(SulhError) as caught:
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=late)
    assert caught.value.field == "submitted_at"
    assert caught.value.code == "deadline"
    assert "2024-12-06" in caught.value.message
    _nothing_saved()


def test_it_accepts_the_explicit_no_serial_flag(personas, programs):
    payload = _valid(items=[{"kind": "weapon", "weapon_type": "pistol", "no_serial": True}])
    result = _register(personas, payload)
    item = result.case.intake.items.get()
    assert item.no_serial and item.serial_number == ""


def test_it_keeps_earlier_intakes_when_a_bad_one_arrives(personas, programs):
    first = _register(personas, _valid())
    with pytest.raises(SulhError):
        _register(personas, _valid(idempotency_key="second-key-1", category="wizard"))
    assert list(Intake.objects.values_list("serial", flat=True)) == [first.case.intake.serial]


def test_it_returns_the_same_case_when_a_submission_is_retried(personas, programs):
    payload = _valid()
    first = _register(personas, payload)
    again = _register(personas, payload)
    assert first.created and not again.created
    assert again.case.pk == first.case.pk
    assert Intake.objects.count() == 1


def test_it_refuses_a_reused_key_with_different_content(personas, programs):
    payload = _valid()
    _register(personas, payload)
    payload["person"]["given_name_lat"] = "Someone"
    with pytest.raises(SulhError) as caught:
        _register(personas, payload)
    assert caught.value.field == "idempotency_key"


def test_it_gives_each_intake_a_readable_serial(personas, programs):
    a = _register(personas, _valid())
    b = _register(personas, _valid(idempotency_key="another-key-2"))
    assert a.case.intake.serial == "ALP1-2024-000001"
    assert b.case.intake.serial == "ALP1-2024-000002"


def test_a_clerk_registers_at_their_own_station_only(personas, programs):
    with pytest.raises(SulhError) as caught:
        _register(personas, _valid(station="alp2"))
    assert caught.value.field == "station"
    _nothing_saved()
