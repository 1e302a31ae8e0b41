"""Append event records to the log as commitments (their openings sealed beside them);
sign tree heads; serve proofs against the published heads."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import Station
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_head, audit_record
from sulh.core.errors import NotFound, ValidationFailed
from sulh.keys.sealing import derived_key, open_sealed_many, seal
from sulh.keys.services import publication_signer
from sulh.keys.signing import b64u, canonical
from sulh.ledger.leaves import (
    CORRIDOR_EVENT,
    PADDING_EVENT,
    SALT_BYTES,
    commitment_leaf,
    commitment_of,
    event_record,
)
from sulh.ledger.merkle import leaf_hash
from sulh.ledger.models import LedgerHead, LedgerLeaf, TreeHead
from sulh.ledger.tree import (
    tree_consistency_roots_and_proof,
    tree_extend,
    tree_inclusion_proof,
    tree_root,
)
from sulh.programs.services import program_get


def case_pseudonym(case_uuid: str) -> str:
    """Links one case's events to each other, never to a person (keyed, truncated HMAC)."""
    return hmac.new(
        derived_key(purpose="ledger-pseudonym"), case_uuid.encode(), hashlib.sha256
    ).hexdigest()[:20]


def _opening_context(index: int) -> str:
    """An opening is sealed bound to its leaf's index: moved to another row, it does not open."""
    return f"ledger.LedgerLeaf.opening@{index}"


OPENING_BUCKET = 512  # bytes every sealed opening pads to: its size says nothing


def _append_locked(head: LedgerHead, leaf: bytes, opening: str) -> LedgerLeaf:
    row = LedgerLeaf.objects.create(
        index=head.size, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex(), opening=opening
    )
    head.size += 1
    head.save(update_fields=["size"])
    return row


def _head_locked() -> LedgerHead:
    head, _ = LedgerHead.objects.get_or_create(name="default")
    return LedgerHead.objects.select_for_update().get(pk=head.pk)


def _commit_locked(head: LedgerHead, record: dict[str, Any]) -> LedgerLeaf:
    """Append the commitment to ``record`` under a fresh salt; the opening sealed beside it."""
    salt = secrets.token_bytes(SALT_BYTES)
    opening = canonical({"record": record, "salt": salt.hex()}).decode()
    sealed = seal(opening, context=_opening_context(head.size), min_bucket=OPENING_BUCKET)
    return _append_locked(head, commitment_leaf(commitment_of(salt, record)), sealed)


def ledger_append(**fields: Any) -> LedgerLeaf:
    """Append the commitment to one event record (the fields of ``event_record``) under
    the head's row lock; the public leaf carries the commitment only."""
    record = event_record(**fields)
    with transaction.atomic():
        return _commit_locked(_head_locked(), record)


def ledger_append_record(record: dict[str, Any]) -> LedgerLeaf:
    """Append the commitment to a record another package shapes (e.g. a convoy's counts,
    ``docs/departures.md``): string and whole-number values only, never a name; the
    record is sealed beside its leaf like every other."""
    if not isinstance(record.get("event"), str) or not record["event"]:
        raise ValueError("a ledger record names its event")
    for name, value in record.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"a ledger record's {name} is a string or a whole number")
    with transaction.atomic():
        return _commit_locked(_head_locked(), dict(record))


def ledger_append_public(leaf: bytes) -> LedgerLeaf:
    """Append a public leaf that commits to nothing hidden (a program's exact totals)."""
    with transaction.atomic():
        return _append_locked(_head_locked(), leaf, "")


def ledger_pad(*, since: int, multiple: int) -> int:
    """Round the leaves appended since ``since`` up to a whole ``multiple`` with padding
    records, so a head's growth says little about how many events there were."""
    with transaction.atomic():
        head = _head_locked()
        added = 0
        while (head.size - since) % multiple:
            _commit_locked(head, event_record(event=PADDING_EVENT))
            added += 1
    return added


def ledger_opened(*, first: int, size: int) -> list[str]:
    """The opening of each leaf ``first``..``size - 1``, as sealed: canonical JSON
    ``{"record", "salt"}``, or "" for a public totals leaf. Openings stay on the site: they
    go out only inside a monitor package, encrypted to the monitor."""
    rows = list(
        LedgerLeaf.objects.filter(index__gte=first, index__lt=size)
        .order_by("index")
        .values_list("index", "opening")
    )
    tokens = [opening for _, opening in rows]
    return open_sealed_many(tokens, [_opening_context(index) for index, _ in rows])


def ledger_openings(*, first: int, size: int) -> list[dict[str, Any] | None]:
    """``ledger_opened`` parsed: {"index", "record", "salt"} a leaf, None for a totals leaf."""
    result: list[dict[str, Any] | None] = []
    for index, text in enumerate(ledger_opened(first=first, size=size), start=first):
        if not text:
            result.append(None)
            continue
        document = json.loads(text)
        result.append({"index": index, "record": document["record"], "salt": document["salt"]})
    return result


def tree_head_sign() -> TreeHead:
    """Sign the current tree head: size, root hash and time (ES256 by the program's root key)."""
    size = tree_extend()  # the stored levels first: proofs are served from them
    root = tree_root(size).hex()
    now = timezone.now().replace(microsecond=0)
    audit_seq, audit_hash = audit_head()  # anchors the audit trail's chain (see anchoring)
    body = {
        "size": size,
        "root_hash": root,
        "timestamp": now.isoformat(),
        "audit_seq": audit_seq,
        "audit_hash": audit_hash,
    }
    # The publication key signs, certified in the trust list by the root (kept offline).
    signature = b64u(publication_signer().sign(canonical(body)))
    return TreeHead.objects.create(
        size=size, root_hash=root, timestamp=now, signature=signature,
        audit_seq=audit_seq, audit_hash=audit_hash,
    )  # fmt: skip


def tree_head_document(head: TreeHead) -> dict[str, Any]:
    document: dict[str, Any] = {
        "size": head.size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp.astimezone(dt.UTC).isoformat(),
    }
    if head.audit_seq is not None:
        document.update(audit_seq=head.audit_seq, audit_hash=head.audit_hash)
    document["signature"] = head.signature
    return document


def _published_head(size: int | None) -> TreeHead:
    """The signed head of ``size`` leaves (default: the latest). Errors name published
    heads only: the live log's size is never revealed."""
    heads = TreeHead.objects.order_by("-pk")
    head = heads.first() if size is None else heads.filter(size=size).first()
    if head is None and size is None:
        raise NotFound("no tree head has been published yet", field="size")
    if head is None:
        raise ValidationFailed(
            "is not the size of a published tree head: proofs are given only against "
            "published heads (GET /api/ledger/tree-head gives the latest)",
            field="size",
        )
    return head


def _proof_cache_key(kind: str, head: TreeHead, *numbers: int) -> str:
    # The root is in the key: a proof cached over one log is never served over another.
    return ":".join(["sulh", "ledger", kind, str(head.size), head.root_hash, *map(str, numbers)])


def ledger_inclusion_proof(*, index: int, size: int | None = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of leaf ``index`` in the published tree head of ``size``
    leaves (default: the latest), from O(log n) stored nodes; cached."""
    head = _published_head(size)
    if not 0 <= index < head.size:
        raise ValidationFailed(
            f"is not a leaf of the published tree head of {head.size}: give an index from 0 "
            f"to {head.size - 1}"
            if head.size
            else "is not a leaf of the published tree head, which has none",
            field="index",
        )
    key = _proof_cache_key("inclusion", head, index)
    document: dict[str, Any] | None = cache.get(key)
    if document is None:
        document = {
            "index": index,
            "tree_size": head.size,
            "leaf": LedgerLeaf.objects.values_list("leaf", flat=True).get(index=index),
            "root_hash": head.root_hash,
            "proof": [h.hex() for h in tree_inclusion_proof(index, head.size)],
        }
        cache.set(key, document, settings.SULH_PROOF_CACHE_SECONDS)
    return document


def ledger_consistency_proof(*, old: int, size: int | None = None) -> dict[str, Any]:
    """RFC 9162 consistency proof from the tree of ``old`` leaves to the published tree
    head of ``size`` (default: the latest), from O(log n) stored nodes; cached."""
    head = _published_head(size)
    if not 0 < old <= head.size:
        raise ValidationFailed(
            f"give an earlier size from 1 to {head.size}, the size of the published tree head"
            if head.size
            else "the published tree head has no leaves: there is no earlier size",
            field="old",
        )
    key = _proof_cache_key("consistency", head, old)
    document: dict[str, Any] | None = cache.get(key)
    if document is None:
        old_root, root, proof = tree_consistency_roots_and_proof(old, head.size)
        document = {
            "old_size": old,
            "old_root_hash": old_root.hex(),
            "tree_size": head.size,
            "root_hash": root.hex(),
            "proof": [h.hex() for h in proof],
        }
        cache.set(key, document, settings.SULH_PROOF_CACHE_SECONDS)
    return document


def tree_head_latest() -> dict[str, Any]:
    """The latest published tree head. A read: heads are signed at publication (``sulh
    ledger publish``), never here."""
    head = TreeHead.objects.order_by("-pk").first()
    if head is None:
        raise NotFound(
            "no tree head has been published yet (sulh ledger publish)",
            field="tree_head",
        )
    return tree_head_document(head)


MAX_TALLY = 1_000_000


def corridor_tally_record(
    *, program_code: str, point: str, day: dt.date, count: int, user: Any
) -> LedgerLeaf:
    """Log a count that is not per person (e.g. civilians crossing at a point on a day)."""
    require(user, Action.RECORD_CORRIDOR_TALLY)
    program = program_get(code=program_code)
    if not Station.objects.filter(code=point).exists():
        raise ValidationFailed(f"no crossing point or station {point!r}", field="point")
    if not 0 <= count <= MAX_TALLY:
        raise ValidationFailed(f"must be between 0 and {MAX_TALLY}", field="count")
    if day > timezone.now().date():
        raise ValidationFailed("is in the future", field="day")
    with transaction.atomic():
        row = ledger_append(
            event=CORRIDOR_EVENT, program=program.code, station=point, day=day.isoformat(),
            count=count,
        )  # fmt: skip
        audit_record(
            actor=user, action="corridor_tally", obj_type="program", obj_id=program.code,
            details={"point": point, "day": day.isoformat(), "count": count},
        )  # fmt: skip
    return row
