"""Writes on custody: stores, items handed in, tags, receipts, and the ledger entries that
move an item from the desk to its destruction. Each checks everything before it writes
anything, so a refused step leaves what was recorded as it was; each entry says who,
when, and (where staff give one) why.

The ledger is append-only: ``entry_reverse`` corrects the latest entry of an item by a
reversal; nothing is edited or deleted. Shipments (two officers, seals checked) are in
``dispatch_*``; counts in ``counts.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import Station, User
from sulh.accounts.policy import Action, allows, require, require_not_dispatcher
from sulh.audit.services import audit_record
from sulh.cases.selectors import program_served_check
from sulh.core.errors import Conflict, NotFound, ValidationFailed
from sulh.core.validation import reason_clean
from sulh.custody.format import (
    ReceiptClaims,
    ReceiptLine,
    TagClaims,
    encode_receipt,
    encode_tag,
    new_document_id,
)
from sulh.custody.log import entry_log
from sulh.custody.models import (
    Condition,
    Count,
    CountState,
    CustodyEvent,
    Dispatch,
    DispatchState,
    DuplicateFlag,
    EventKind,
    Incident,
    IncidentKind,
    Item,
    ItemKind,
    ItemState,
    Receipt,
    SerialStatus,
    Store,
    Tag,
    TagCounter,
)
from sulh.custody.models import ReceiptLine as ReceiptLineRow
from sulh.custody.serials import serial_as_read, serial_normalise
from sulh.custody.vocabulary import (
    CALIBRES,
    KINDS_MAY_HAVE_CALIBRE,
    KINDS_WITH_CALIBRE,
    MARKING_PLACES,
    MARKING_SCRIPTS,
)
from sulh.keys.sealing import blind_index
from sulh.keys.services import station_signer
from sulh.programs.models import Program
from sulh.registry.models import Intake
from sulh.registry.schemas import serial_is_placeholder

TEXT_MAX = 60
CLOCK_SKEW = dt.timedelta(minutes=2)
SERIAL_KEY_PURPOSE = "custody-serial"
# which entries an item may take in each state (a destroyed item is never received again)
ALLOWED_FROM: dict[str, frozenset[str]] = {
    ItemState.IN_STORE: frozenset(
        {
            "tagged",
            "stored",
            "dispatched",
            "issued",
            "counted",
            "discrepancy",
            "lost",
            "stolen",
            "transferred",
            "deactivated",
            "destroyed",
        }
    ),
    ItemState.IN_TRANSIT: frozenset({"received_at", "lost", "stolen", "tagged"}),
    ItemState.ISSUED: frozenset({"returned", "lost", "stolen"}),
    ItemState.LOST: frozenset({"recovered"}),
    ItemState.TRANSFERRED: frozenset(),
    ItemState.DESTROYED: frozenset(),
    ItemState.VOID: frozenset(),
}
STATE_AFTER = {
    "dispatched": ItemState.IN_TRANSIT,
    "received_at": ItemState.IN_STORE,
    "issued": ItemState.ISSUED,
    "returned": ItemState.IN_STORE,
    "lost": ItemState.LOST,
    "stolen": ItemState.LOST,
    "recovered": ItemState.IN_STORE,
    "transferred": ItemState.TRANSFERRED,
    "destroyed": ItemState.DESTROYED,
}
# entries that move items in or out of a store: refused while the store is being counted
MOVES = frozenset(
    {
        "dispatched",
        "received_at",
        "issued",
        "returned",
        "transferred",
        "destroyed",
        "recovered",
        "stored",
    }
)


def text_clean(value: str, *, field: str, required: bool = False, most: int = TEXT_MAX) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed("is required", field=field)
    if len(value) > most:
        raise ValidationFailed(f"must be at most {most} characters", field=field)
    return value


def when_check(
    at: dt.datetime | None, *, item: Item | None = None, field: str = "at"
) -> dt.datetime:
    """When an entry happened: now, or a time given that is not in the future, nor before
    the item's latest entry."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationFailed("must carry a time zone", field=field)
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("is in the future", field=field)
    if item is not None:
        last = CustodyEvent.objects.filter(item=item).order_by("-id").values_list("at", flat=True)
        if last and at < last[0]:
            raise ValidationFailed("is before the item's latest entry", field=field)
    return at


def store_get(*, store_id: int | None, field: str = "store") -> Store:
    found = None
    if store_id is not None:
        found = Store.objects.filter(pk=store_id).select_related("program").first()
    if found is None:
        raise NotFound("no such store", field=field)
    return found


def served_check(user: User, store: Store, *, field: str = "store") -> None:
    program_served_check(user=user, program_id=store.program_id, field=field)


def _count_lock_check(store_id: int, kind: str) -> None:
    if kind in MOVES and Count.objects.filter(store_id=store_id, state=CountState.OPEN).exists():
        raise Conflict(
            "the store is being counted: no item moves in or out until the count closes",
            field="store",
        )


def entry_append(
    item: Item,
    *,
    kind: str,
    user: User,
    at: dt.datetime,
    store: Store | None = None,
    location: str | None = None,
    **fields: Any,
) -> CustodyEvent:
    """Append one entry to ``item``'s ledger (locked by the caller) and move the item as it
    says; refuses an entry the item's state does not allow."""
    if kind not in ALLOWED_FROM.get(item.state, frozenset()):
        shown = ItemState(item.state).label
        raise Conflict(f"an item {shown.lower()} cannot be {kind.replace('_', ' ')}", field="item")
    _count_lock_check(item.store_id, kind)
    if store is not None and kind in MOVES:
        _count_lock_check(store.pk, kind)
    event = CustodyEvent.objects.create(
        item=item,
        kind=kind,
        at=at,
        recorded_at=timezone.now(),
        actor=user,
        store=store or item.store,
        location=location if location is not None else item.location,
        state_before=item.state,
        store_before=item.store,
        location_before=item.location,
        **fields,
    )
    item.state = STATE_AFTER.get(kind, item.state)
    if store is not None:
        item.store = store
    if location is not None:
        item.location = location
    item.save(update_fields=["state", "store", "location"])
    entry_log(event, item)
    audit_record(
        actor=user,
        action=f"custody.{kind}",
        obj_type="custody_item",
        obj_id=str(item.pk),
        details={"event": event.pk, "store": event.store_id},
    )
    return event


def items_locked(item_ids: Sequence[int], *, field: str = "items") -> list[Item]:
    """The items, locked in id order (two stations never deadlock), in the order given."""
    found = {
        i.pk: i for i in Item.objects.select_for_update().filter(pk__in=item_ids).order_by("pk")
    }
    for index, item_id in enumerate(item_ids):
        if item_id not in found:
            raise NotFound("no such item", field=f"{field}[{index}]")
    return [found[item_id] for item_id in item_ids]


# --- Stores ---------------------------------------------------------------------------------


def store_create(
    *, program: Program, station: Station, code: str, name: str, custodian: User, user: User
) -> Store:
    """A store of ``program`` at ``station``, with its accountable custodian."""
    require(user, Action.RECORD_CUSTODY)
    program_served_check(user=user, program_id=program.pk)
    code = text_clean(code, field="code", required=True, most=32)
    if not allows(custodian, Action.RECORD_CUSTODY):
        raise ValidationFailed("must be a weapons officer", field="custodian")
    if Store.objects.filter(code=code).exists():
        raise Conflict("a store has this code already", field="code")
    store = Store.objects.create(
        program=program,
        station=station,
        code=code,
        custodian=custodian,
        name=text_clean(name, field="name", required=True, most=120),
        created_at=timezone.now(),
    )
    audit_record(
        actor=user,
        action="custody.store_created",
        obj_type="custody_store",
        obj_id=str(store.pk),
        details={"code": code},
    )
    return store


# --- Items ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marking:
    text: str
    script: str
    place: str


@dataclass
class ItemRecorded:
    item: Item
    # items of other people with the same serial, make and calibre: flagged for review
    duplicates: list[Item] = field(default_factory=list)


def _kind_check(kind: str) -> str:
    if kind not in ItemKind.values:
        raise ValidationFailed(f"must be one of {', '.join(ItemKind.values)}", field="kind")
    return kind


def calibre_check(kind: str, calibre: str, *, field: str = "calibre") -> str:
    calibre = (calibre or "").strip()
    if kind in KINDS_WITH_CALIBRE and not calibre:
        raise ValidationFailed(f"is required for {kind}", field=field)
    if calibre and kind not in KINDS_WITH_CALIBRE | KINDS_MAY_HAVE_CALIBRE:
        raise ValidationFailed(f"is not recorded for {kind}", field=field)
    if calibre and calibre not in CALIBRES:
        raise ValidationFailed(
            f"{calibre!r} is not in the calibre vocabulary ({', '.join(CALIBRES)})", field=field
        )
    return calibre


def serial_check(kind: str, serial: str, status: str) -> tuple[str, str]:
    """The serial as read and its status. A weapon has a serial that is present or
    altered, or none because it was erased; a placeholder is refused as at intake."""
    serial = serial_as_read(serial)
    if status and status not in SerialStatus.values:
        raise ValidationFailed(
            f"must be one of {', '.join(SerialStatus.values)}", field="serial_status"
        )
    if serial_is_placeholder(serial) or serial_is_placeholder(serial_normalise(serial)):
        raise ValidationFailed(
            f"{serial!r} is a placeholder, not a serial number: leave it empty and set "
            "serial_status to erased",
            field="serial",
        )
    if len(serial) > TEXT_MAX:
        raise ValidationFailed(f"must be at most {TEXT_MAX} characters", field="serial")
    if kind == ItemKind.WEAPON and not status:
        raise ValidationFailed("is required for a weapon", field="serial_status")
    if status in (SerialStatus.PRESENT, SerialStatus.ALTERED) and not serial:
        raise ValidationFailed(f"is required when the serial is {status}", field="serial")
    if status == SerialStatus.ERASED and serial:
        raise ValidationFailed("must be empty when the serial is erased", field="serial")
    return serial, status


def markings_check(markings: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    clean = []
    for index, marking in enumerate(markings):
        where = f"markings[{index}]"
        text = text_clean(marking.get("text", ""), field=f"{where}.text", required=True, most=200)
        script = marking.get("script", "")
        if script not in MARKING_SCRIPTS:
            raise ValidationFailed(
                f"must be one of {', '.join(MARKING_SCRIPTS)}", field=f"{where}.script"
            )
        place = marking.get("place", "")
        if place not in MARKING_PLACES:
            raise ValidationFailed(
                f"must be one of {', '.join(MARKING_PLACES)}", field=f"{where}.place"
            )
        clean.append({"text": text, "script": script, "place": place})
    return clean


def _intake_check(intake: Intake | None, store: Store) -> None:
    if intake is not None and intake.program_id != store.program_id:
        raise ValidationFailed("is an intake of another program than the store's", field="intake")


def item_record(
    *,
    store: Store,
    user: User,
    kind: str,
    condition: str,
    make: str = "",
    model: str = "",
    calibre: str = "",
    serial: str = "",
    serial_status: str = "",
    markings: Sequence[Mapping[str, str]] = (),
    quantity: int = 1,
    lot: str = "",
    intake: Intake | None = None,
    location: str = "",
    at: dt.datetime | None = None,
) -> ItemRecorded:
    """An item handed in (by the person of ``intake``, or by a group when there is none),
    received into ``store``: its first ledger entry. The same serial (normalised, make and
    calibre agreeing) already handed in by someone else is flagged for review."""
    require(user, Action.RECORD_CUSTODY)
    served_check(user, store)
    kind = _kind_check(kind)
    make = text_clean(make, field="make", required=kind == ItemKind.WEAPON)
    model = text_clean(model, field="model")
    calibre = calibre_check(kind, calibre)
    serial, serial_status = serial_check(kind, serial, serial_status)
    clean_markings = markings_check(markings)
    if condition not in Condition.values:
        raise ValidationFailed(f"must be one of {', '.join(Condition.values)}", field="condition")
    if not 1 <= quantity <= 1_000_000 or (kind != ItemKind.AMMUNITION and quantity != 1):
        raise ValidationFailed(
            "is 1 for an item, 1 to 1,000,000 rounds for ammunition", field="quantity"
        )
    lot = text_clean(lot, field="lot", most=40)
    _intake_check(intake, store)
    at = when_check(at)
    key = serial_key(serial, make=make, calibre=calibre) if serial else ""
    with transaction.atomic():
        item = Item.objects.create(
            program=store.program,
            intake=intake,
            kind=kind,
            make=make,
            model=model,
            calibre=calibre,
            serial_as_read=serial,
            serial_status=serial_status,
            serial_key=key,
            markings=clean_markings,
            condition=condition,
            quantity=quantity,
            lot=lot,
            state=ItemState.IN_STORE,
            store=store,
            location=text_clean(location, field="location"),
            created_by=user,
            created_at=timezone.now(),
        )
        received = CustodyEvent.objects.create(
            item=item,
            kind=EventKind.RECEIVED,
            at=at,
            recorded_at=timezone.now(),
            actor=user,
            store=store,
            location=item.location,
        )
        entry_log(received, item)
        duplicates = _duplicates_flag(item) if key else []
        audit_record(
            actor=user,
            action="custody.received",
            obj_type="custody_item",
            obj_id=str(item.pk),
            details={"store": store.pk, "flags": len(duplicates)},
        )
    return ItemRecorded(item=item, duplicates=duplicates)


def serial_key(serial: str, *, make: str, calibre: str) -> str:
    """Keyed hash of the normalised serial with the make and calibre."""
    value = f"{serial_normalise(serial)}|{' '.join(make.lower().split())}|{calibre}"
    return blind_index(value, purpose=SERIAL_KEY_PURPOSE)


def _duplicates_flag(item: Item) -> list[Item]:
    others = Item.objects.filter(serial_key=item.serial_key).exclude(pk=item.pk)
    person = item.intake.person_id if item.intake else None
    found = [
        o
        for o in others.select_related("intake")
        if o.intake is None or person is None or o.intake.person_id != person
    ]
    now = timezone.now()
    DuplicateFlag.objects.bulk_create(
        [DuplicateFlag(item=item, other=other, flagged_at=now) for other in found]
    )
    return found


# --- Tags and receipts ----------------------------------------------------------------------


def _next_tag_number(program: Program, year: int) -> str:
    counter, _ = TagCounter.objects.get_or_create(program=program, year=year)
    counter = TagCounter.objects.select_for_update().get(pk=counter.pk)
    value = counter.next_value
    counter.next_value = value + 1
    counter.save(update_fields=["next_value"])
    return f"{program.pk}-{year}-{value:06d}"


def tag_issue(*, item: Item, user: User) -> Tag:
    """The item's registry number as a signed QR label, by its store's station key."""
    require(user, Action.ISSUE_TAG)
    with transaction.atomic():
        item = items_locked([item.pk], field="item")[0]
        served_check(user, item.store, field="item")
        if Tag.objects.filter(item=item).exists():
            raise Conflict("this item has a tag already", field="item")
        station = item.store.station
        signer = station_signer(station_id=station.pk, station_code=station.code)
        now = timezone.now()
        number = _next_tag_number(item.program, now.year)
        tag_id = new_document_id()
        text = encode_tag(
            TagClaims(tag_id, number, item.program_id, now), key=signer, kid=signer.kid
        )
        tag = Tag.objects.create(
            item=item,
            number=number,
            tag_id=tag_id.hex(),
            text=text,
            key=signer.row,
            issued_by=user,
            issued_at=now,
        )
        entry_append(item, kind=EventKind.TAGGED, user=user, at=now)
    return tag


def receipt_issue(
    *,
    user: User,
    lines: Sequence[tuple[Item, bool]],
    intake: Intake | None = None,
    representative: str = "",
) -> Receipt:
    """The signed receipt the person keeps: each item by its tag, and whether it counted
    for eligibility. Without an intake it is a group's, naming its representative."""
    require(user, Action.ISSUE_ITEM_RECEIPT)
    representative = text_clean(representative, field="representative", most=100)
    if intake is None and not representative:
        raise ValidationFailed("is required for a collective receipt", field="representative")
    if not lines:
        raise ValidationFailed("a receipt lists at least one item", field="lines")
    items = _receipt_items(lines, intake=intake)
    for item in items:
        served_check(user, item.store, field="lines")
    station = items[0].store.station
    signer = station_signer(station_id=station.pk, station_code=station.code)
    now = timezone.now()
    receipt_id = new_document_id()
    claims = ReceiptClaims(
        receipt_id=receipt_id,
        program=items[0].program_id,
        intake=intake.serial if intake else "",
        representative=representative,
        issued_at=now,
        lines=tuple(
            ReceiptLine(
                item.tag.number,
                item.kind,
                item.calibre,
                item.condition == Condition.SERVICEABLE,
                counted,
            )
            for item, (_, counted) in zip(items, lines, strict=True)
        ),
    )
    with transaction.atomic():
        receipt = Receipt.objects.create(
            program=items[0].program,
            intake=intake,
            representative=representative,
            receipt_id=receipt_id.hex(),
            text=encode_receipt(claims, key=signer, kid=signer.kid),
            key=signer.row,
            issued_by=user,
            issued_at=now,
        )
        ReceiptLineRow.objects.bulk_create(
            [
                ReceiptLineRow(receipt=receipt, item=item, counted=counted)
                for item, (_, counted) in zip(items, lines, strict=True)
            ]
        )
        audit_record(
            actor=user,
            action="custody.receipt_issued",
            obj_type="custody_receipt",
            obj_id=str(receipt.pk),
            details={"lines": len(items)},
        )
    return receipt


def _receipt_items(lines: Sequence[tuple[Item, bool]], *, intake: Intake | None) -> list[Item]:
    items: list[Item] = []
    seen: set[int] = set()
    for index, (item, _counted) in enumerate(lines):
        where = f"lines[{index}]"
        item = Item.objects.select_related("store__station").get(pk=item.pk)
        if item.pk in seen:
            raise ValidationFailed("is listed twice", field=where)
        if not Tag.objects.filter(item=item).exists():
            raise ValidationFailed("has no tag yet: issue its tag first", field=where)
        if (intake.pk if intake else None) != item.intake_id:
            raise ValidationFailed("was not handed in by this receipt's person", field=where)
        if items and item.program_id != items[0].program_id:
            raise ValidationFailed("is of another program", field=where)
        seen.add(item.pk)
        items.append(item)
    return items


# --- Entries on one item --------------------------------------------------------------------


def _one(item: Item, user: User, action: Action = Action.RECORD_CUSTODY) -> Item:
    require(user, action)
    locked = items_locked([item.pk], field="item")[0]
    served_check(user, locked.store, field="item")
    return locked


def item_store(
    *, item: Item, user: User, location: str, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item put at ``location`` in its store (rack, shelf, container)."""
    location = text_clean(location, field="location", required=True)
    with transaction.atomic():
        item = _one(item, user)
        return entry_append(
            item, kind=EventKind.STORED, user=user, at=when_check(at, item=item), location=location
        )


def item_issue(
    *, item: Item, user: User, purpose: str, authoriser: User, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item taken out of its store for ``purpose`` (e.g. evidence for a court), on the
    authority of another officer."""
    purpose = text_clean(purpose, field="purpose", required=True, most=300)
    if authoriser.pk == user.pk:
        raise ValidationFailed(
            "must be another officer than the one who issues", field="authoriser"
        )
    with transaction.atomic():
        item = _one(item, user)
        return entry_append(
            item,
            kind=EventKind.ISSUED,
            user=user,
            at=when_check(at, item=item),
            purpose=purpose,
            authoriser=authoriser,
        )


def item_return(
    *, item: Item, user: User, location: str = "", at: dt.datetime | None = None
) -> CustodyEvent:
    with transaction.atomic():
        item = _one(item, user)
        return entry_append(
            item,
            kind=EventKind.RETURNED,
            user=user,
            at=when_check(at, item=item),
            location=text_clean(location, field="location") or item.location,
        )


def item_lose(
    *, item: Item, user: User, stolen: bool, reason: str, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item lost or stolen: an incident is opened with it, in the same transaction."""
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        item = _one(item, user)
        at = when_check(at, item=item)
        incident = incident_open(
            kind=IncidentKind.THEFT if stolen else IncidentKind.LOSS,
            store=item.store,
            user=user,
            items=[item],
        )
        kind = EventKind.STOLEN if stolen else EventKind.LOST
        return entry_append(item, kind=kind, user=user, at=at, incident=incident, reason=reason)


def item_recover(
    *,
    item: Item,
    user: User,
    store: Store,
    location: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
) -> CustodyEvent:
    """A lost or stolen item found again, back into ``store``."""
    with transaction.atomic():
        item = _one(item, user)
        served_check(user, store)
        if store.program_id != item.program_id:
            raise ValidationFailed("is a store of another program than the item's", field="store")
        return entry_append(
            item,
            kind=EventKind.RECOVERED,
            user=user,
            at=when_check(at, item=item),
            store=store,
            location=text_clean(location, field="location"),
            reason=reason_clean(reason, required=False),
        )


def item_transfer(
    *, item: Item, user: User, reason: str, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item handed to a national authority (the receiving body named in ``reason``)."""
    return _entry_with_reason(item, EventKind.TRANSFERRED, user=user, reason=reason, at=at)


def item_deactivate(
    *, item: Item, user: User, reason: str, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item made unable to fire (how, in ``reason``); it stays in its store."""
    return _entry_with_reason(item, EventKind.DEACTIVATED, user=user, reason=reason, at=at)


def _entry_with_reason(
    item: Item, kind: str, *, user: User, reason: str, at: dt.datetime | None
) -> CustodyEvent:
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        item = _one(item, user)
        return entry_append(item, kind=kind, user=user, at=when_check(at, item=item), reason=reason)


def item_destroy(
    *, item: Item, store: Store, user: User, reason: str, at: dt.datetime | None = None
) -> CustodyEvent:
    """The item destroyed at ``store``, which must hold it. (Witnessed destruction batches
    are to come: this is the entry each item of a batch will get.)"""
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        item = _one(item, user)
        if item.store_id != store.pk or item.state != ItemState.IN_STORE:
            raise ValidationFailed(f"is not in store {store.code}", field="item")
        return entry_append(
            item, kind=EventKind.DESTROYED, user=user, at=when_check(at, item=item), reason=reason
        )


def entry_reverse(*, event: CustodyEvent, user: User, reason: str) -> CustodyEvent:
    """Correct a wrong entry: a reversal naming it, which puts the item back as it was
    before. Only an item's latest entry may be reversed (reverse later ones first); a
    reversal is never reversed (record the right entry instead)."""
    require(user, Action.RECORD_CUSTODY)
    reason = reason_clean(reason, required=True)
    with transaction.atomic():
        event = CustodyEvent.objects.select_related("item").get(pk=event.pk)
        if event.kind == EventKind.REVERSAL:
            raise ValidationFailed(
                "is a reversal: a reversal is never reversed; record the right entry instead",
                field="reverses",
            )
        item = _one(event.item, user)
        if CustodyEvent.objects.filter(reverses=event).exists():
            raise Conflict("this entry is reversed already", field="reverses")
        if event.dispatch_id or event.count_id:
            raise ValidationFailed(
                "belongs to a shipment or a count, which corrects it", field="reverses"
            )
        if event.kind == EventKind.TAGGED:
            raise ValidationFailed("a tag is withdrawn, not reversed", field="reverses")
        if _latest_effective(item) != event.pk:
            raise ValidationFailed(
                "is not the item's latest entry: reverse the later ones first", field="reverses"
            )
        reversal = CustodyEvent.objects.create(
            item=item,
            kind=EventKind.REVERSAL,
            at=timezone.now(),
            recorded_at=timezone.now(),
            actor=user,
            store=item.store,
            location=item.location,
            reverses=event,
            reason=reason,
            state_before=item.state,
            store_before=item.store,
            location_before=item.location,
        )
        item.state = event.state_before or ItemState.VOID
        item.store = event.store_before or item.store
        item.location = event.location_before
        item.save(update_fields=["state", "store", "location"])
        entry_log(reversal, item)
        audit_record(
            actor=user,
            action="custody.reversal",
            obj_type="custody_item",
            obj_id=str(item.pk),
            purpose=reason[:300],
            details={"reverses": event.pk},
        )
    return reversal


def _latest_effective(item: Item) -> int | None:
    """The latest entry of ``item`` that is neither a reversal nor reversed."""
    entries = list(CustodyEvent.objects.filter(item=item).values_list("pk", "kind", "reverses"))
    reversed_ids = {rev for _pk, kind, rev in entries if kind == EventKind.REVERSAL}
    alive = [
        pk for pk, kind, _rev in entries if kind != EventKind.REVERSAL and pk not in reversed_ids
    ]
    return alive[-1] if alive else None


# --- Incidents ------------------------------------------------------------------------------


def incident_open(
    *, kind: str, store: Store, user: User, items: Sequence[Item] = (), **links: Any
) -> Incident:
    """A suspected loss or theft, reported at once (in the caller's transaction)."""
    incident = Incident.objects.create(
        kind=kind, store=store, opened_at=timezone.now(), opened_by=user, **links
    )
    incident.items.set(items)
    audit_record(
        actor=user,
        action="custody.incident_opened",
        obj_type="custody_incident",
        obj_id=str(incident.pk),
        details={"kind": kind, "items": len(items)},
    )
    return incident


# --- Shipments between stores ---------------------------------------------------------------


def seals_clean(seals: Sequence[str], *, field: str = "seals") -> list[str]:
    clean = [
        text_clean(seal, field=f"{field}[{i}]", required=True, most=40)
        for i, seal in enumerate(seals)
    ]
    if not clean:
        raise ValidationFailed("at least one seal number is required", field=field)
    for index, seal in enumerate(clean):
        if seal in clean[:index]:
            raise ValidationFailed("is listed twice", field=f"{field}[{index}]")
    return clean


def dispatch_create(
    *,
    from_store: Store,
    to_store_id: int | None,
    items: Sequence[Item],
    seals: Sequence[str],
    user: User,
    at: dt.datetime | None = None,
) -> Dispatch:
    """A sealed shipment of ``items`` from their store to another."""
    require(user, Action.DISPATCH_ITEMS)
    served_check(user, from_store, field="from_store")
    to_store = store_get(store_id=to_store_id, field="to_store")
    if to_store.pk == from_store.pk:
        raise ValidationFailed("must be another store than the sending one", field="to_store")
    seals = seals_clean(seals)
    if not items:
        raise ValidationFailed("a shipment carries at least one item", field="items")
    at = when_check(at)
    with transaction.atomic():
        locked = items_locked([item.pk for item in items])
        for index, item in enumerate(locked):
            if item.store_id != from_store.pk or item.state != ItemState.IN_STORE:
                raise ValidationFailed(
                    f"is not in store {from_store.code}", field=f"items[{index}]"
                )
            if not Tag.objects.filter(item=item).exists():
                raise ValidationFailed(
                    "has no tag: tag it before it travels", field=f"items[{index}]"
                )
            when_check(at, item=item, field="at")
        _count_lock_check(from_store.pk, EventKind.DISPATCHED)
        dispatch = Dispatch.objects.create(
            from_store=from_store,
            to_store=to_store,
            seals=seals,
            dispatched_by=user,
            dispatched_at=at,
        )
        for item in locked:
            entry_append(item, kind=EventKind.DISPATCHED, user=user, at=at, dispatch=dispatch)
    return dispatch


@dataclass
class DispatchReceived:
    dispatch: Dispatch
    received: list[Item]
    missing: list[Item]
    incidents: list[Incident]


def _tags_to_items(dispatch: Dispatch, tags: Sequence[str]) -> dict[int, Item]:
    carried = {
        event.item.tag.number: event.item
        for event in CustodyEvent.objects.filter(
            dispatch=dispatch, kind=EventKind.DISPATCHED
        ).select_related("item__tag")
    }
    found: dict[int, Item] = {}
    for index, number in enumerate(tags):
        item = carried.get(tag_number_of(number))
        if item is None:
            raise ValidationFailed("is not a tag of this shipment", field=f"tags_received[{index}]")
        if item.pk in found:
            raise ValidationFailed("is scanned twice", field=f"tags_received[{index}]")
        found[item.pk] = item
    return found


def tag_number_of(scanned: str) -> str:
    """The registry number a scanner read: the tag's signed code, or the number typed."""
    scanned = (scanned or "").strip()
    if scanned.startswith("SULHT1:"):
        tag = Tag.objects.filter(text=scanned).first()
        return tag.number if tag else scanned
    return scanned


def dispatch_receive(
    *,
    dispatch: Dispatch,
    user: User,
    tags_received: Sequence[str],
    seals_seen: Sequence[str],
    at: dt.datetime | None = None,
) -> DispatchReceived:
    """The shipment checked in at its store by an officer who did not dispatch it: the
    seals against those recorded, the items by tag. A seal that differs and any item short
    each open an incident in the same transaction; the items short are recorded lost."""
    require(user, Action.DISPATCH_ITEMS)
    require_not_dispatcher(user, Action.DISPATCH_ITEMS, dispatcher=dispatch.dispatched_by_id)
    served_check(user, dispatch.to_store, field="dispatch")
    seals = seals_clean(seals_seen, field="seals_seen")
    at = when_check(at)
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update().select_related("to_store").get(pk=dispatch.pk)
        )
        if dispatch.state != DispatchState.IN_TRANSIT:
            raise Conflict("this shipment was received already", field="dispatch")
        if at < dispatch.dispatched_at:
            raise ValidationFailed("is before the shipment left", field="at")
        arrived = _tags_to_items(dispatch, tags_received)
        carried = [
            e.item_id
            for e in CustodyEvent.objects.filter(dispatch=dispatch, kind=EventKind.DISPATCHED)
        ]
        items = items_locked(carried)
        received = [item for item in items if item.pk in arrived]
        missing = [item for item in items if item.pk not in arrived]
        incidents = _receipt_incidents(dispatch, user=user, missing=missing, seals=seals)
        for item in received:
            entry_append(
                item,
                kind=EventKind.RECEIVED_AT,
                user=user,
                at=at,
                store=dispatch.to_store,
                location="",
                dispatch=dispatch,
            )
        shortfall = next((i for i in incidents if i.kind == IncidentKind.SHORTFALL), None)
        for item in missing:
            entry_append(
                item, kind=EventKind.LOST, user=user, at=at, dispatch=dispatch, incident=shortfall
            )
        dispatch.state, dispatch.received_by, dispatch.received_at = (
            DispatchState.RECEIVED,
            user,
            at,
        )
        dispatch.seals_seen = seals
        dispatch.save(update_fields=["state", "received_by", "received_at", "seals_seen"])
    return DispatchReceived(dispatch, received, missing, incidents)


def _receipt_incidents(
    dispatch: Dispatch, *, user: User, missing: list[Item], seals: list[str]
) -> list[Incident]:
    incidents = []
    if sorted(seals) != sorted(dispatch.seals):
        incidents.append(
            incident_open(
                kind=IncidentKind.SEALS,
                store=dispatch.to_store,
                user=user,
                dispatch=dispatch,
                details={"sealed": dispatch.seals, "seen": seals},
            )
        )
    if missing:
        incidents.append(
            incident_open(
                kind=IncidentKind.SHORTFALL,
                store=dispatch.from_store,
                user=user,
                items=missing,
                dispatch=dispatch,
                details={"tags": [item.tag.number for item in missing]},
            )
        )
    return incidents
