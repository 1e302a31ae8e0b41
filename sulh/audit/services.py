"""Append to the hash-chained audit trail, and check that nothing was removed or altered."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.audit.models import AuditEntry, AuditHead
from sulh.core.deferred import defer

GENESIS = "0" * 64


def _digest(fields: dict[str, Any], prev_hash: str) -> str:
    canonical = json.dumps(
        {**fields, "prev_hash": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "obj_type": entry.obj_type,
        "obj_id": entry.obj_id,
        "purpose": entry.purpose,
        "details": entry.details,
    }


def audit_record_soon(**entry: Any) -> None:
    """``audit_record`` now, or at the end of an ``appends_at_end`` block (registrations)."""
    if not defer(functools.partial(audit_record, **entry)):
        audit_record(**entry)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: str,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; serialised by a row lock on the chain head (SQLite and PostgreSQL)."""
    with transaction.atomic():
        head, _ = AuditHead.objects.get_or_create(name="default")
        head = AuditHead.objects.select_for_update().get(pk=head.pk)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=getattr(actor, "username", "") or "",
            action=action,
            obj_type=obj_type,
            obj_id=str(obj_id),
            purpose=purpose[:300],
            details=details or {},
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = _digest(_fields(entry), entry.prev_hash)
        entry.save()
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
        head.save(update_fields=["seq", "entry_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # sequence number of the first entry that does not fit
    reason: str


def audit_verify() -> ChainReport:
    """Walk the chain: each entry must hash to itself and link to the one before."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(count, entry.seq, "does not link to the entry before it")
        if _digest(_fields(entry), entry.prev_hash) != entry.entry_hash:
            return ChainReport(count, entry.seq, "was altered after it was written")
        prev_hash, expected_seq = entry.entry_hash, expected_seq + 1
    head = AuditHead.objects.filter(name="default").first()
    if head is not None and (head.seq, head.entry_hash) != (expected_seq - 1, prev_hash):
        return ChainReport(count, expected_seq, "entries after this point were removed")
    return ChainReport(count, None, "intact")
