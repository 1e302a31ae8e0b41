"""Append case events to the log; sign tree heads; export what a monitor needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.utils import timezone

from sulh.cards.keys import b64u, canonical, sign_raw
from sulh.core.crypto import derived_key
from sulh.ledger.leaves import canonical_leaf
from sulh.ledger.merkle import leaf_hash, root_from_hashes
from sulh.ledger.models import LedgerHead, LedgerLeaf, TreeHead


def case_pseudonym(case_uuid: str) -> str:
    """Links one case's events to each other, never to a person (keyed, truncated HMAC)."""
    return hmac.new(
        derived_key(purpose="ledger-pseudonym"), case_uuid.encode(), hashlib.sha256
    ).hexdigest()[:20]


def ledger_append(
    *, event: str, program: str, station: str, day: str, case: str, outcome: str = ""
) -> LedgerLeaf:
    leaf = canonical_leaf(
        event=event, program=program, station=station, day=day, case=case, outcome=outcome
    )
    with transaction.atomic():
        head, _ = LedgerHead.objects.get_or_create(name="default")
        head = LedgerHead.objects.select_for_update().get(pk=head.pk)
        row = LedgerLeaf.objects.create(
            index=head.size, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex()
        )
        head.size += 1
        head.save(update_fields=["size"])
    return row


def _ledger_key() -> ec.EllipticCurvePrivateKey:
    """Tree heads are signed by the program authority's root key."""
    from sulh.cards.services import private_key_of, root_key

    return private_key_of(root_key())


def tree_head_sign() -> TreeHead:
    """Sign the current tree head: size, root hash and time (ES256 by the program's root key)."""
    hashes = [
        bytes.fromhex(h)
        for h in LedgerLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    now = timezone.now().replace(microsecond=0)
    size, root = len(hashes), root_from_hashes(hashes).hex()
    body = {"size": size, "root_hash": root, "timestamp": now.isoformat()}
    signature = b64u(sign_raw(_ledger_key(), canonical(body)))
    return TreeHead.objects.create(size=size, root_hash=root, timestamp=now, signature=signature)


def tree_head_document(head: TreeHead) -> dict[str, Any]:
    return {
        "size": head.size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp.astimezone(dt.UTC).isoformat(),
        "signature": head.signature,
    }


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
        _ledger_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return [leaves, tree_head, key]


def bulletin_publish(*, program_code: str, out: Path) -> list[Path]:
    """Export the log; compute the bulletin from the exported leaves, as a monitor will."""
    from sulh.ledger.monitor import bulletin_from_leaves
    from sulh.programs.services import program_get_definition

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
    return [*paths, target]
