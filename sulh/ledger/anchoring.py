"""The audit chain anchored in published tree heads: ``sulh audit verify`` asks here.

Each signed tree head carries the audit chain's head then (``audit_seq``, ``audit_hash``).
Whoever rewrites the trail before a published head, even with every key, makes the entry
at ``audit_seq`` hash to something else; the heads that monitors kept say what it was.
Registered on ``sulh.audit.services.anchor_checks`` at start-up (``LedgerConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sulh.audit.hooks import AnchorCheck
from sulh.audit.services import audit_entry_hash
from sulh.keys.services import public_key_of, publication_key
from sulh.ledger.models import TreeHead
from sulh.ledger.monitor import head_signed


def heads_read(path: Path) -> list[dict[str, Any]]:
    """A monitor's kept heads: one tree-head.json, a JSON list of them, or one a line."""
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        return []
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        loaded = [json.loads(line) for line in text.splitlines() if line.strip()]
    heads = loaded if isinstance(loaded, list) else [loaded]
    if not all(isinstance(head, dict) for head in heads):
        raise ValueError(f"{path}: not tree heads")
    return heads


def _stored_heads() -> list[dict[str, Any]]:
    return [
        {
            "size": head.size,
            "root_hash": head.root_hash,
            "timestamp": head.timestamp.astimezone(dt.UTC).isoformat(),
            "audit_seq": head.audit_seq,
            "audit_hash": head.audit_hash,
            "signature": head.signature,
        }
        for head in TreeHead.objects.filter(audit_seq__isnull=False).order_by("pk")
    ]


def anchors_check(check: AnchorCheck) -> None:
    """Every anchored head, from the ledger's store and the given file, must still be in the
    chain: the entry at ``audit_seq`` must have the hash that was signed."""
    sources: list[tuple[str, dict[str, Any]]] = [("stored", h) for h in _stored_heads()]
    if check.heads_file:
        path = Path(check.heads_file)
        try:
            sources += [(path.name, h) for h in heads_read(path)]
        except (OSError, ValueError, KeyError) as exc:
            check.problems.append(f"heads: cannot read {path}: {exc}")
            return
    public = None
    if any(where != "stored" for where, _ in sources):
        public = public_key_of(publication_key())
    for where, head in sources:
        if "audit_seq" not in head:
            continue  # a head from before anchoring
        when = head.get("timestamp", "?")
        if public is not None and where != "stored" and not head_signed(head, public):
            check.problems.append(
                f"{where}: the tree head of {when} is not signed by the publication key"
            )
            continue
        seq, expected = int(head["audit_seq"]), str(head["audit_hash"])
        check.anchors += 1
        if seq == 0:
            continue
        found = audit_entry_hash(seq)
        if found is None:
            check.problems.append(
                f"{where}: the tree head of {when} anchors entry {seq}, which is gone: "
                "the trail was cut or rewritten before it"
            )
        elif found != expected:
            check.problems.append(
                f"{where}: the tree head of {when} anchors entry {seq} with another hash: "
                "the trail was rewritten before it"
            )
