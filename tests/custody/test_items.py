"""Items handed in: the record, the serial as read and normalised, the vocabulary, the
placeholder rule, duplicates across people, tags and receipts verified offline."""

from __future__ import annotations

import pytest

from sulh.cards.services import trust_list_document
from sulh.cards.trust import trust_list_load
from sulh.cards.verify import Verdict
from sulh.core.errors import PermissionDenied, SulhError
from sulh.custody import services
from sulh.custody.format import verify_receipt, verify_tag
from sulh.custody.models import CustodyEvent, DuplicateFlag, Item, ItemState
from sulh.custody.serials import serial_normalise
from sulh.keys.services import public_key_of, root_key
from sulh.keys.signing import public_bytes

RIFLE = {
    "kind": "weapon",
    "make": "Kalashnikov",
    "calibre": "7.62x39mm",
    "condition": "serviceable",
}


def record(stores, officers, **fields):
    values = {**RIFLE, "serial_status": "present", "serial": "KA1", **fields}
    return services.item_record(store=stores["main"], user=officers["officer"], **values)


def refused(field, call, *args, **kwargs):
    before = (Item.objects.count(), CustodyEvent.objects.count())
    with pytest.raises(SulhError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value
    assert (Item.objects.count(), CustodyEvent.objects.count()) == before
    return caught.value


def test_it_keeps_the_serial_as_read_and_compares_it_normalised(stores, officers):
    item = record(stores, officers, serial="AK-٤٧ ١٢٣").item
    item.refresh_from_db()
    assert item.serial_as_read == "AK-٤٧ ١٢٣"
    assert serial_normalise("AK-٤٧ ١٢٣") == serial_normalise("ak47.123") == "AK47123"
    assert item.state == ItemState.IN_STORE
    assert [e.kind for e in item.events.all()] == ["received"]


@pytest.mark.parametrize("serial", ["xxx", "unreadable", "٠٠٠", "غير مقروء", "0000"])
def test_it_refuses_a_placeholder_serial_as_intake_does(stores, officers, serial):
    error = refused("serial", record, stores, officers, serial=serial)
    assert "placeholder" in error.message


def test_it_takes_an_erased_serial_only_when_said_so(stores, officers):
    refused("serial", record, stores, officers, serial="", serial_status="present")
    refused("serial_status", record, stores, officers, serial="", serial_status="")
    item = record(stores, officers, serial="", serial_status="erased").item
    assert item.serial_status == "erased" and item.serial_key == ""


def test_it_refuses_a_calibre_outside_the_vocabulary(stores, officers):
    error = refused("calibre", record, stores, officers, calibre="7.62 short")
    assert "vocabulary" in error.message
    refused("calibre", record, stores, officers, kind="radio", calibre="9x19mm", serial_status="")


def test_it_records_ammunition_by_calibre_and_lot(stores, officers):
    lot = record(
        stores,
        officers,
        kind="ammunition",
        make="",
        serial="",
        serial_status="",
        quantity=1200,
        lot="LOT-88-2019",
    ).item
    assert (lot.calibre, lot.quantity, lot.lot) == ("7.62x39mm", 1200, "LOT-88-2019")
    refused("quantity", record, stores, officers, quantity=3)


def test_it_checks_each_marking(stores, officers):
    marks = [{"text": "٢٠١٢ مصنع", "script": "arabic", "place": "receiver"}]
    assert record(stores, officers, markings=marks).item.markings == marks
    refused(
        "markings[0].place",
        record,
        stores,
        officers,
        markings=[{"text": "x", "script": "latin", "place": "moon"}],
    )


def test_it_refuses_an_event_dated_in_the_future(stores, officers):
    import datetime as dt

    from django.utils import timezone

    refused("at", record, stores, officers, at=timezone.now() + dt.timedelta(hours=3))


def test_it_refuses_anyone_but_a_weapons_officer(stores, personas):
    with pytest.raises(PermissionDenied):
        services.item_record(
            store=stores["main"],
            user=personas["clerk"],
            **RIFLE,
            serial="KA1",
            serial_status="present",
        )


def test_it_flags_one_serial_handed_in_by_two_people(stores, officers, intake):
    first = record(stores, officers, serial="KA 777", intake=intake())
    assert first.duplicates == []
    second = record(stores, officers, serial="ka-777", intake=intake())
    assert second.duplicates == [first.item]
    assert DuplicateFlag.objects.filter(item=second.item, other=first.item).exists()
    # another make or calibre is another weapon
    assert (
        record(stores, officers, serial="KA777", make="Norinco", intake=intake()).duplicates == []
    )


def _trusted():
    root = root_key()
    return trust_list_load(trust_list_document(), root_public_key=public_bytes(public_key_of(root)))


def test_a_tag_verifies_offline_with_the_site_trust_list(rifle):
    item = rifle()
    tag = item.tag
    result = verify_tag(tag.text, trusted=_trusted())
    assert result.verdict == Verdict.VALID, result.message
    assert result.card["number"] == tag.number
    assert [e.kind for e in item.events.all()] == ["received", "tagged"]
    forged = tag.text[:-4] + ("AAAA" if not tag.text.endswith("AAAA") else "BBBB")
    assert verify_tag(forged, trusted=_trusted()).verdict != Verdict.VALID


def test_an_item_gets_one_tag(rifle, officers):
    item = rifle()
    with pytest.raises(SulhError) as caught:
        services.tag_issue(item=item, user=officers["officer"])
    assert caught.value.field == "item"


def test_a_person_keeps_a_signed_receipt_listing_items_by_tag(stores, officers, intake):
    person = intake()
    items = []
    for serial in ("KA10", "KA11"):
        item = record(stores, officers, serial=serial, intake=person).item
        services.tag_issue(item=item, user=officers["officer"])
        items.append(item)
    receipt = services.receipt_issue(
        user=officers["officer"], intake=person, lines=[(items[0], True), (items[1], False)]
    )
    result = verify_receipt(receipt.text, trusted=_trusted())
    assert result.verdict == Verdict.VALID, result.message
    lines = result.card["lines"]
    assert [(x.tag, x.counted) for x in lines] == [
        (items[0].tag.number, True),
        (items[1].tag.number, False),
    ]
    assert result.card["intake"] == person.serial
    assert "KA10" not in str(result.card)  # no serial in the code


def test_a_group_receipt_names_its_representative(rifle, officers):
    item = rifle()
    with pytest.raises(SulhError) as caught:
        services.receipt_issue(user=officers["officer"], lines=[(item, False)])
    assert caught.value.field == "representative"
    receipt = services.receipt_issue(
        user=officers["officer"], lines=[(item, False)], representative="وجيه القرية"
    )
    assert verify_receipt(receipt.text, trusted=_trusted()).card["representative"] == "وجيه القرية"


def test_a_tag_signed_by_a_key_outside_the_trust_list_is_refused(rifle):
    import datetime as dt

    rifle()  # the site's keys and trust list
    from sulh.custody.format import TagClaims, encode_tag
    from sulh.keys.signing import key_id, new_private_key

    stranger = new_private_key()
    claims = TagClaims(b"\x01" * 6, "1-2024-000001", 1, dt.datetime.now(dt.UTC))
    text = encode_tag(claims, key=stranger, kid=key_id(stranger.public_key()))
    assert verify_tag(text, trusted=_trusted()).verdict == Verdict.UNKNOWN_KEY
    assert verify_tag("SULH1:" + text[7:], trusted=_trusted()).verdict == Verdict.MALFORMED
