"""Append to the keyed, chained audit trail, and check that nothing was removed or altered.

Each entry's purpose and details are sealed (AES-GCM under the keyring's data key) with
the entry's sequence number and action as associated data. Each entry's hash is an
HMAC-SHA256, under a key derived from the keyring (kept off the database), of its clear
fields, the SHA-256 of its sealed bytes and the hash before it: whoever holds the database
alone cannot rebuild the chain after removing or altering an entry. Published tree heads
of the transparency log carry the chain's head (``sulh.ledger``), so that even with the
keys, history before the last published head cannot be rewritten unnoticed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.audit.hooks import AnchorCheck, anchor_checks
from sulh.audit.models import AuditEntry, AuditHead
from sulh.core.deferred import defer
from sulh.keys.sealing import derived_key, open_sealed, seal

GENESIS = "0" * 64
CHAIN_KEY_PURPOSE = "audit-chain"


def sealed_context(*, seq: int, action: str) -> str:
    """Associated data of an entry's sealed part: it opens in this entry only."""
    return f"audit.AuditEntry.sealed:{seq}:{action}"


def seal_entry(*, seq: int, action: str, purpose: str, details: dict[str, Any]) -> str:
    body = json.dumps({"purpose": purpose, "details": details}, sort_keys=True, ensure_ascii=False)
    return seal(body, context=sealed_context(seq=seq, action=action))


def entry_open(entry: AuditEntry) -> dict[str, Any]:
    """The entry's purpose and details (needs the keyring); empty once erased."""
    if not entry.sealed:
        return {}
    opened = json.loads(
        open_sealed(entry.sealed, context=sealed_context(seq=entry.seq, action=entry.action))
    )
    return opened if isinstance(opened, dict) else {}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def chain_mac(fields: dict[str, Any], prev_hash: str, *, key: bytes) -> str:
    canonical = json.dumps(
        {**fields, "prev_hash": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def head_mac(seq: int, entry_hash: str, *, key: bytes) -> str:
    """The head's own MAC: a database writer without the chain key cannot move the head
    back to the entry before a cut tail."""
    return hmac.new(key, f"audit-head:{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def chain_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "obj_type": entry.obj_type,
        "obj_id": entry.obj_id,
        "sealed_hash": entry.sealed_hash,
    }


def chain_key() -> bytes:
    return derived_key(purpose=CHAIN_KEY_PURPOSE)


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
        seq = head.seq + 1
        sealed = seal_entry(seq=seq, action=action, purpose=purpose[:300], details=details or {})
        entry = AuditEntry(
            seq=seq,
            at=timezone.now(),
            actor=getattr(actor, "username", "") or "",
            action=action,
            obj_type=obj_type,
            obj_id=str(obj_id),
            sealed=sealed,
            sealed_hash=sha256_hex(sealed),
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = chain_mac(chain_fields(entry), entry.prev_hash, key=chain_key())
        entry.save()
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
        head.head_mac = head_mac(entry.seq, entry.entry_hash, key=chain_key())
        head.save(update_fields=["seq", "entry_hash", "head_mac"])
    return entry


def audit_head() -> tuple[int, str]:
    """The chain's head (last sequence number and hash), as anchored in tree heads."""
    head = AuditHead.objects.filter(name="default").first()
    return (head.seq, head.entry_hash) if head is not None else (0, GENESIS)


def audit_entry_hash(seq: int) -> str | None:
    return AuditEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()


def audit_purposes_erase(*, objects: Iterable[tuple[str, str]]) -> int:
    """Blank the sealed purpose and details of every entry about these objects (retention
    erasure): they are gone, with every key; the chain, over their hashes, still verifies."""
    erased = 0
    for obj_type, obj_id in objects:
        erased += (
            AuditEntry.objects.filter(obj_type=obj_type, obj_id=str(obj_id))
            .exclude(sealed="")
            .update(sealed="")
        )
    return erased


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # sequence number of the first entry that does not fit
    reason: str
    erased: int = 0


def audit_verify() -> ChainReport:
    """Walk the chain: each entry's MAC must hold and link to the one before; a sealed part
    still present must hash to what the chain covers."""
    key = chain_key()
    prev_hash, expected_seq, count, erased = GENESIS, 1, 0, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(count, entry.seq, "does not link to the entry before it")
        if not hmac.compare_digest(
            chain_mac(chain_fields(entry), entry.prev_hash, key=key), entry.entry_hash
        ):
            return ChainReport(count, entry.seq, "was altered after it was written")
        if entry.sealed and sha256_hex(entry.sealed) != entry.sealed_hash:
            return ChainReport(count, entry.seq, "its sealed purpose was replaced")
        erased += not entry.sealed
        prev_hash, expected_seq = entry.entry_hash, expected_seq + 1
    head = AuditHead.objects.filter(name="default").first()
    if head is None:
        if count:
            return ChainReport(count, 1, "the chain's head row was removed")
        return ChainReport(count, None, "intact", erased)
    if not hmac.compare_digest(head_mac(head.seq, head.entry_hash, key=key), head.head_mac):
        return ChainReport(count, head.seq, "the chain's head was moved or altered")
    if (head.seq, head.entry_hash) != (expected_seq - 1, prev_hash):
        return ChainReport(count, expected_seq, "entries after this point were removed")
    return ChainReport(count, None, "intact", erased)


def audit_check_anchors(*, heads_file: str | None = None) -> AnchorCheck:
    """Ask the registered checkers whether the chain still holds every anchored head."""
    check = AnchorCheck(heads_file=heads_file)
    anchor_checks.fire(check)
    return check
