"""Append case events to the log; sign tree heads; export what a monitor needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import Station
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_head, audit_record
from sulh.core.errors import NotFound, ValidationFailed
from sulh.keys.sealing import derived_key
from sulh.keys.services import public_key_of, publication_key, publication_signer
from sulh.keys.signing import b64u, canonical
from sulh.ledger.leaves import CORRIDOR_EVENT, canonical_leaf
from sulh.ledger.merkle import leaf_hash
from sulh.ledger.models import LedgerHead, LedgerLeaf, TreeHead
from sulh.ledger.monitor import bulletin_from_leaves
from sulh.ledger.render import bulletin_html, bulletin_pdf
from sulh.ledger.tree import (
    tree_consistency_roots_and_proof,
    tree_extend,
    tree_inclusion_proof,
    tree_root,
)
from sulh.programs.services import program_get, program_get_definition


def case_pseudonym(case_uuid: str) -> str:
    """Links one case's events to each other, never to a person (keyed, truncated HMAC)."""
    return hmac.new(
        derived_key(purpose="ledger-pseudonym"), case_uuid.encode(), hashlib.sha256
    ).hexdigest()[:20]


def ledger_append(**fields: Any) -> LedgerLeaf:
    """Append one leaf (the fields of ``canonical_leaf``) under the head's row lock."""
    leaf = canonical_leaf(**fields)
    with transaction.atomic():
        head, _ = LedgerHead.objects.get_or_create(name="default")
        head = LedgerHead.objects.select_for_update().get(pk=head.pk)
        row = LedgerLeaf.objects.create(
            index=head.size, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex()
        )
        head.size += 1
        head.save(update_fields=["size"])
    return row


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
    """The latest published tree head. A read: heads are signed when the log is exported
    or a bulletin published (``sulh ledger export``, ``sulh ledger bulletin``), never here."""
    head = TreeHead.objects.order_by("-pk").first()
    if head is None:
        raise NotFound(
            "no tree head has been published yet (sulh ledger export or sulh ledger bulletin)",
            field="tree_head",
        )
    return tree_head_document(head)


def ledger_export(*, out: Path) -> list[Path]:
    """leaves.jsonl (one leaf a line, as logged), tree-head.json (signed), ledger-key.pem."""
    out.mkdir(parents=True, exist_ok=True)
    head = tree_head_sign()
    leaves = out / "leaves.jsonl"
    with leaves.open("w", encoding="utf-8") as handle:
        for leaf in (
            LedgerLeaf.objects.filter(index__lt=head.size)
            .order_by("index")
            .values_list("leaf", flat=True)
        ):
            handle.write(leaf + "\n")
    tree_head = out / "tree-head.json"
    tree_head.write_text(json.dumps(tree_head_document(head), indent=2), encoding="utf-8")
    key = out / "ledger-key.pem"
    key.write_bytes(
        public_key_of(publication_key()).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return [leaves, tree_head, key]


def bulletin_publish(*, program_code: str, out: Path) -> list[Path]:
    """Export the log; compute the bulletin from the exported leaves, as a monitor will."""
    definition = program_get_definition(code=program_code)
    paths = ledger_export(out=out)
    leaves_path, head_path = paths[0], paths[1]
    leaves = [json.loads(line) for line in leaves_path.read_text(encoding="utf-8").splitlines()]
    head = json.loads(head_path.read_text(encoding="utf-8"))
    bulletin = bulletin_from_leaves(
        leaves,
        program=program_code,
        min_cell=definition.bulletin.min_cell,
        tree_head=head,
        day=timezone.now().date().isoformat(),
    )
    target = out / f"bulletin-{program_code}.json"
    target.write_text(json.dumps(bulletin, indent=2, ensure_ascii=False), encoding="utf-8")
    html = bulletin_html(bulletin, title_en=definition.title.en, title_ar=definition.title.ar)
    page = out / f"bulletin-{program_code}.html"
    page.write_text(html, encoding="utf-8")
    pdf = out / f"bulletin-{program_code}.pdf"
    pdf.write_bytes(bulletin_pdf(html))
    return [*paths, target, page, pdf]


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
