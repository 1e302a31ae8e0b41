"""The intake schema reports every wrong field at once, each with a stable code a form
translates, and takes the clerk's reason for a missing serial and the "accompanying" flag
(issue #22, items 4 and 16)."""

from __future__ import annotations

import pytest

from sulh.core.validation import SchemaInvalid, parse
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2024-defectors"


def test_every_error_is_reported_with_its_field_and_code(programs):
    payload = make_intake(PROGRAM, seed=3)
    payload["person"].update(given_name_ar="", given_name_lat="", birth_date="12/05/1990")
    payload["family"] = [{"relation": "spouse", "sex": "female", "birth_year": 18}]
    payload["items"] = [
        {"kind": "weapon", "serial_number": "xxx"},
        {
            "kind": "weapon",
            "weapon_type": "pistol",
            "serial_absence": "erased",
            "serial_number": "A1",
        },
    ]
    with pytest.raises(SchemaInvalid) as caught:
        parse(IntakeIn, payload)
    found = {(p.field, p.code) for p in caught.value.problems}
    assert found == {
        ("person.birth_date", "birth_date_format"),
        ("person.given_name_ar", "given_name_required"),
        ("family[0].birth_year", "greater_than_equal"),
        ("family[0].name_ar", "name_required"),
        ("items[0].serial_number", "serial_placeholder"),
        ("items[0].weapon_type", "weapon_type_required"),
        ("items[1].serial_absence", "serial_conflict"),
    }
    # the API's single error still names the first field, in the same words as before
    assert caught.value.field == "person.birth_date"
    assert caught.value.message.startswith("must be a date YYYY-MM-DD")
    assert "(and 6 more)" in caught.value.message


def test_a_stated_reason_for_no_serial_implies_no_serial_and_accompanying_is_kept(programs):
    payload = make_intake(PROGRAM, seed=3)
    payload["items"] = [{"kind": "weapon", "weapon_type": "pistol", "serial_absence": "unreadable"}]
    payload["family"] = [
        {"relation": "child", "sex": "male", "name_ar": "سامي", "accompanying": True}
    ]
    intake = parse(IntakeIn, payload)
    assert intake.items[0].no_serial and intake.items[0].serial_absence == "unreadable"
    assert intake.family[0].accompanying
    # the older flag alone is still accepted, without a reason
    payload["items"] = [{"kind": "weapon", "weapon_type": "pistol", "no_serial": True}]
    assert parse(IntakeIn, payload).items[0].serial_absence == ""
