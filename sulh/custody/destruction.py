"""Witnessed destruction: a batch of one store's items, a method, a time and a place; the
witnesses' signatures over the batch's document, each checked with the witness's enrolled
key; then each item gets ``destroyed`` and the log a salted commitment to the batch's
serials (``sulh.ledger.destruction``), in one transaction. A monitor given one serial and
its salt (``destruction_proof``, ``sulh custody prove-destroyed``) checks it was destroyed
without the list being published."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.core.errors import Conflict, NotFound, ValidationFailed
from sulh.custody.models import (
    BatchState,
    DestructionBatch,
    DestructionLine,
    DestructionMethod,
    DestructionWitness,
    EventKind,
    Item,
    ItemState,
    Store,
    Tag,
)
from sulh.custody.serials import serial_normalise
from sulh.custody.services import (
    entry_append,
    items_locked,
    served_check,
    text_clean,
    when_check,
)
from sulh.keys.models import WitnessKey
from sulh.keys.services import witness_enrol
from sulh.keys.witnesses import witness_verify
from sulh.ledger.destruction import (
    SALT_BYTES,
    batch_record,
    batch_tree,
    proof_document,
    serial_leaf,
    serial_path,
)
from sulh.ledger.services import ledger_append_record, ledger_openings

DOCUMENT_FORMAT = "sulh-destruction/1"
MIN_WITNESSES = 2  # IDDRS 4.10: destruction before independent witnesses


def committed_value(item: Item) -> str:
    """What an item's serial leaf commits to: its serial normalised, or ``tag:NUMBER``
    (normalised) when the serial was erased."""
    serial = serial_normalise(item.serial_as_read or "")
    return serial if serial else serial_normalise(f"tag:{item.tag.number}")


def _in_store_check(items: Sequence[Item], store: Store) -> None:
    for index, item in enumerate(items):
        if item.store_id != store.pk or item.state != ItemState.IN_STORE:
            raise ValidationFailed(
                f"is not in store {store.code}: only items in the store are destroyed",
                field=f"items[{index}]",
            )


def destruction_prepare(
    *,
    store: Store,
    items: Sequence[Item],
    method: str,
    place: str,
    user: User,
    at: dt.datetime | None = None,
) -> DestructionBatch:
    """A batch of ``store``'s items to destroy, and the document its witnesses sign."""
    require(user, Action.RECORD_CUSTODY)
    served_check(user, store)
    if method not in DestructionMethod.values:
        raise ValidationFailed(
            f"must be one of {', '.join(DestructionMethod.values)}", field="method"
        )
    place = text_clean(place, field="place", required=True, most=120)
    if not items:
        raise ValidationFailed("a batch lists at least one item", field="items")
    at = when_check(at)
    with transaction.atomic():
        locked = items_locked([item.pk for item in items])
        _in_store_check(locked, store)
        for index, item in enumerate(locked):
            if not Tag.objects.filter(item=item).exists():
                raise ValidationFailed("has no tag: tag it first", field=f"items[{index}]")
            if DestructionLine.objects.filter(item=item, batch__state=BatchState.PREPARED).exists():
                raise Conflict("is in another batch already", field=f"items[{index}]")
        salts = [secrets.token_bytes(SALT_BYTES) for _ in locked]
        leaves = [serial_leaf(s, committed_value(i)) for s, i in zip(salts, locked, strict=True)]
        _ordered, root = batch_tree(leaves)
        batch = DestructionBatch.objects.create(
            program=store.program, store=store, method=method, place=place, at=at,
            root=root.hex(), prepared_by=user, prepared_at=timezone.now(),
        )  # fmt: skip
        DestructionLine.objects.bulk_create(
            [
                DestructionLine(batch=batch, item=item, salt=salt.hex())
                for item, salt in zip(locked, salts, strict=True)
            ]
        )
        batch.document = batch_document(batch, [item.tag.number for item in locked])
        batch.save(update_fields=["document"])
        audit_record(
            actor=user, action="custody.destruction_prepared", obj_type="custody_destruction",
            obj_id=str(batch.pk), details={"items": len(locked), "method": method},
        )  # fmt: skip
    return batch


def batch_document(batch: DestructionBatch, tags: list[str]) -> dict[str, Any]:
    """What the witnesses sign: the batch, its store, method, time and place, the items by
    tag (never by serial) and the root of the serial commitment."""
    return {
        "format": DOCUMENT_FORMAT,
        "batch": batch.pk,
        "program": batch.program.code,
        "store": batch.store.code,
        "method": batch.method,
        "place": batch.place,
        "at": batch.at.astimezone(dt.UTC).isoformat(),
        "tags": sorted(tags),
        "root": batch.root,
    }


def destruction_witness(
    *, batch: DestructionBatch, witness: str, signature: str, user: User
) -> DestructionWitness:
    """A witness's signature over the batch's document, checked with their enrolled key."""
    require(user, Action.RECORD_CUSTODY)
    served_check(user, batch.store, field="batch")
    key = WitnessKey.objects.filter(name=witness).first()
    if key is None:
        raise NotFound("no witness of this name is enrolled", field="witness")
    if batch.state != BatchState.PREPARED:
        raise Conflict("this batch is destroyed already", field="batch")
    if not witness_verify(key.signing_key, batch.document, signature):
        raise ValidationFailed(
            "does not verify with the witness's enrolled key over this batch's document",
            field="signature",
        )
    if DestructionWitness.objects.filter(batch=batch, witness=key).exists():
        raise Conflict("this witness has signed this batch already", field="witness")
    row = DestructionWitness.objects.create(
        batch=batch, witness=key, signature=signature, recorded_by=user,
        recorded_at=timezone.now(),
    )  # fmt: skip
    audit_record(
        actor=user, action="custody.destruction_witnessed", obj_type="custody_destruction",
        obj_id=str(batch.pk), details={"witness": key.pk},
    )  # fmt: skip
    return row


def destruction_complete(*, batch: DestructionBatch, user: User) -> DestructionBatch:
    """The batch destroyed: every item ``destroyed`` and the batch's commitment in the log,
    in one transaction; refused (nothing changed) unless witnessed and every item is
    still in the store."""
    require(user, Action.RECORD_CUSTODY)
    served_check(user, batch.store, field="batch")
    with transaction.atomic():
        batch = (
            DestructionBatch.objects.select_for_update()
            .select_related("store", "program")
            .get(pk=batch.pk)
        )
        if batch.state != BatchState.PREPARED:
            raise Conflict("this batch is destroyed already", field="batch")
        signed = batch.witnesses.count()
        if signed < MIN_WITNESSES:
            raise ValidationFailed(
                f"{signed} of the {MIN_WITNESSES} witness signatures needed", field="witnesses"
            )
        lines = list(batch.lines.order_by("pk").values_list("item_id", flat=True))
        items = items_locked(lines)
        _in_store_check(items, batch.store)
        now = timezone.now()  # recorded now; the document says when it happened
        for item in items:
            entry_append(
                item, kind=EventKind.DESTROYED, user=user, at=now,
                reason=f"destruction batch {batch.pk}: {batch.method}, {batch.place}",
            )  # fmt: skip
        leaf = ledger_append_record(
            batch_record(
                program=batch.program.code,
                method=batch.method,
                items=len(items),
                root=bytes.fromhex(batch.root),
            )
        )
        batch.state, batch.destroyed_by, batch.leaf_index = BatchState.DESTROYED, user, leaf.index
        batch.save(update_fields=["state", "destroyed_by", "leaf_index"])
        audit_record(
            actor=user, action="custody.destroyed_batch", obj_type="custody_destruction",
            obj_id=str(batch.pk), details={"items": len(items), "leaf": leaf.index},
        )  # fmt: skip
    return batch


def destruction_proof(*, batch_id: int, serial: str) -> dict[str, Any]:
    """For one serial of a destroyed batch: its salt and inclusion path, and the batch
    record's opening, for a monitor to check against the public log."""
    batch = DestructionBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("no such destruction batch", field="batch")
    if batch.state != BatchState.DESTROYED or batch.leaf_index is None:
        raise Conflict("this batch is not destroyed yet", field="batch")
    wanted = serial_normalise(serial)
    lines = list(batch.lines.select_related("item__tag").order_by("pk"))
    leaves = [serial_leaf(bytes.fromhex(line.salt), committed_value(line.item)) for line in lines]
    ordered, root = batch_tree(leaves)
    for line, leaf in zip(lines, leaves, strict=True):
        if committed_value(line.item) == wanted:
            index, path = serial_path(ordered, leaf)
            opening = ledger_openings(first=batch.leaf_index, size=batch.leaf_index + 1)[0]
            assert opening is not None
            return proof_document(
                salt=bytes.fromhex(line.salt), index=index, size=len(ordered), path=path,
                root=root, batch_leaf=batch.leaf_index, batch_opening=opening,
            )  # fmt: skip
    raise NotFound("no item of this batch has this serial", field="serial")


def witness_key_enrol(*, public: object) -> WitnessKey:
    """Enrol a destruction witness's public key (``sulh custody witness-enrol``)."""
    return witness_enrol(public=public)
