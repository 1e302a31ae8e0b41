"""Witnessed destruction in the transparency log: a salted commitment to a batch's serials,
and the check that one serial was destroyed. Pure (no Django).

Each item of a batch gets a 32-byte salt; its **serial leaf** is
``SHA-256("sulh-destroyed/1" || 0x00 || salt || value)``, ``value`` the serial normalised
(``sulh.custody.serials``), or ``tag:NUMBER`` for an item whose serial was erased. The
leaves, sorted, make an RFC 9162 Merkle tree; its root is in the batch's event record
(``{"event": "destruction_batch", "program", "method", "items", "root"}``), committed in
the log like any other record. The list of serials is never published: whoever is given
one serial's salt and inclusion path (``sulh custody prove-destroyed``), and the batch
record's opening, checks against the public log alone that this serial was in a batch
destroyed under a signed tree head, and learns nothing of the other serials.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sulh.ledger.leaves import commitment_of, leaf_commitment
from sulh.ledger.merkle import inclusion_proof, leaf_hash, root_from_hashes, verify_inclusion
from sulh.ledger.monitor import (
    CheckReport,
    MonitorInputError,
    _head_file,
    _json_file,
    _leaf_lines,
    _publication_key,
    head_signed,
)

BATCH_EVENT = "destruction_batch"
PROOF_FORMAT = "sulh-destruction-proof/1"
SERIAL_DOMAIN = b"sulh-destroyed/1\x00"
SALT_BYTES = 32


def serial_leaf(salt: bytes, value: str) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt is {SALT_BYTES} bytes, not {len(salt)}")
    return hashlib.sha256(SERIAL_DOMAIN + salt + value.encode("utf-8")).digest()


def batch_tree(leaves: list[bytes]) -> tuple[list[bytes], bytes]:
    """The leaves in tree order (sorted: the order says nothing of the batch's) and the root."""
    ordered = sorted(leaves)
    return ordered, root_from_hashes([leaf_hash(leaf) for leaf in ordered])


def serial_path(ordered: list[bytes], leaf: bytes) -> tuple[int, list[bytes]]:
    index = ordered.index(leaf)
    return index, inclusion_proof(index, [leaf_hash(one) for one in ordered])


def batch_record(*, program: str, method: str, items: int, root: bytes) -> dict[str, Any]:
    return {
        "event": BATCH_EVENT,
        "program": program,
        "method": method,
        "items": items,
        "root": root.hex(),
    }


def proof_document(
    *,
    salt: bytes,
    index: int,
    size: int,
    path: list[bytes],
    root: bytes,
    batch_leaf: int,
    batch_opening: dict[str, Any],
) -> dict[str, Any]:
    """What a monitor is given for one serial: its salt and path, and the batch record's
    opening (record and salt) with its leaf's index in the log."""
    return {
        "format": PROOF_FORMAT,
        "salt": salt.hex(),
        "index": index,
        "size": size,
        "path": [h.hex() for h in path],
        "root": root.hex(),
        "batch": {
            "index": batch_leaf,
            "record": batch_opening["record"],
            "salt": batch_opening["salt"],
        },
    }


def serial_in_batch(proof: dict[str, Any], value: str) -> bool:
    """True when ``value`` with the proof's salt is a leaf of the proof's batch root."""
    try:
        leaf = serial_leaf(bytes.fromhex(proof["salt"]), value)
        path = [bytes.fromhex(h) for h in proof["path"]]
        root = bytes.fromhex(proof["root"])
        return verify_inclusion(
            leaf_hash(leaf), int(proof["index"]), int(proof["size"]), path, root
        )
    except (KeyError, TypeError, ValueError):
        return False


def destroyed_check(
    *, proof: Path, value: str, leaves: Path, tree_head: Path, key: Path
) -> CheckReport:
    """That the serial ``value`` (normalised) was in a destruction batch committed in the
    log under this signed tree head. Raises MonitorInputError on a file that is not one."""
    report = CheckReport()
    document = _json_file(proof, "the proof", dict)
    if document.get("format") != PROOF_FORMAT:
        raise MonitorInputError(f"the proof ({proof}): not a {PROOF_FORMAT} document")
    head = _head_file(tree_head, "the tree head")
    lines = _leaf_lines(leaves)
    public = _publication_key(key)
    report.checked += 4
    if not head_signed(head, public):
        report.problems.append("the tree head's signature does not verify")
    hashes = [leaf_hash(line.encode("utf-8")) for line in lines]
    if len(lines) != head["size"] or root_from_hashes(hashes).hex() != head["root_hash"]:
        report.problems.append("the leaves do not hash to the signed root")
    if not serial_in_batch(document, value):
        report.problems.append(
            "serial: this serial, with this salt, is not in the batch's commitment"
        )
    report.problems.extend(_batch_problems(document, lines))
    return report


def _batch_problems(document: dict[str, Any], lines: list[str]) -> list[str]:
    batch = document.get("batch")
    if not isinstance(batch, dict) or not isinstance(batch.get("record"), dict):
        return ["batch: the proof carries no batch record"]
    record, index = batch["record"], batch.get("index")
    if record.get("event") != BATCH_EVENT or record.get("root") != document.get("root"):
        return ["batch: the batch record is not a destruction batch with this root"]
    if not isinstance(index, int) or not 0 <= index < len(lines):
        return [f"batch: leaf {index} is not in the log under this tree head"]
    try:
        committed = leaf_commitment(json.loads(lines[index]))
        opened = commitment_of(bytes.fromhex(str(batch.get("salt"))), record)
    except (ValueError, TypeError, AttributeError):
        committed, opened = None, ""
    if committed is None or committed != opened:
        return [f"batch: leaf {index} does not commit to this batch record"]
    return []
