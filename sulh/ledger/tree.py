"""Stored tree levels: roots and RFC 9162 proofs from O(log n) stored hashes.

``LedgerNodes`` holds node(level, i) = MTH(D[i * 2**level : (i + 1) * 2**level]) for every
complete aligned subtree of the log (level 0: the leaf hashes), ``CHUNK`` hashes a row.
The tree of any n leaves splits, as RFC 9162 §2.1 does, into such subtrees and one right
edge that is not complete; that edge is hashed from its own complete parts. So a root,
an inclusion proof or a consistency proof for any size reads at most about 2 log2(n)
stored hashes, in one query that fetches only those 32-byte slices of their rows, and
gives exactly what ``sulh.ledger.merkle`` gives over every leaf (tests/ledger/test_tree.py).

``tree_extend`` brings the levels up to date with LedgerLeaf: only the new leaves are
read and only new complete nodes are hashed; each level's last, partial row is
completed in place. ``sulh.ledger.services.tree_head_sign`` calls it before signing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import connection, transaction

from sulh.ledger.merkle import node_hash, root_from_hashes
from sulh.ledger.models import LedgerHead, LedgerLeaf, LedgerNodes

CHUNK = 1024  # hashes a row: 32 KiB
HASH = 32
BATCH = 64 * CHUNK  # leaves read and hashed at a time by tree_extend (bounded memory)
COMPOUND = 400  # SELECTs in one UNION ALL (SQLite allows 500)
_SLICE = (  # the table is the model's; every value is a parameter
    "SELECT level, chunk, SUBSTR(hashes, %s, %s) FROM ledger_ledgernodes "
    "WHERE level = %s AND chunk = %s"
)

Node = tuple[int, int]  # (level, index at that level)
Reader = Callable[[int, int], bytes]
T = TypeVar("T")


class LevelsMissing(LookupError):
    """The stored levels do not reach a size asked for (run ``tree_extend``)."""


# --- the shape of the tree: which stored nodes a root or a proof needs ------------------


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root(a: int, b: int, node: Reader) -> bytes:
    """MTH(D[a:b]): a stored node when the range is a complete aligned subtree, else the
    RFC 9162 split (which, for the ranges proofs ask for, stays on complete parts)."""
    n = b - a
    if n & (n - 1) == 0 and a % n == 0:
        return node(n.bit_length() - 1, a // n)
    k = _split(n)
    return node_hash(_root(a, a + k, node), _root(a + k, b, node))


def _path(m: int, a: int, b: int, node: Reader) -> list[bytes]:
    """PATH(m, D[a:b]) of RFC 9162 §2.1.3.1, m counted from a."""
    n = b - a
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, a, a + k, node), _root(a + k, b, node)]
    return [*_path(m - k, a + k, b, node), _root(a, a + k, node)]


def _subproof(m: int, a: int, b: int, complete: bool, node: Reader) -> list[bytes]:
    """SUBPROOF(m, D[a:b], b) of RFC 9162 §2.1.4.1."""
    n = b - a
    if m == n:
        return [] if complete else [_root(a, b, node)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, a, a + k, complete, node), _root(a + k, b, node)]
    return [*_subproof(m - k, a + k, b, False, node), _root(a, a + k, node)]


def _with_stored_nodes(compute: Callable[[Reader], T]) -> T:
    """Run ``compute`` once to learn which nodes it reads, fetch them in one query, run
    it again on them (the first run's hashes are placeholders)."""
    wanted: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(HASH)

    compute(record)
    nodes = nodes_read(wanted)
    return compute(lambda level, index: nodes[level, index])


# --- reads ------------------------------------------------------------------------------


def nodes_read(wanted: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of ``wanted`` nodes, in one query that reads only the slices of
    their rows that hold them (a UNION ALL of primary-key-like lookups on (level, chunk);
    SQL rather than the ORM, whose expression building cost more than the query). Raises
    LevelsMissing for a node not stored."""
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for level, index in wanted:
        chunk, offset = divmod(index, CHUNK)
        low, high = spans.get((level, chunk), (offset, offset))
        spans[level, chunk] = (min(low, offset), max(high, offset))
    found: dict[Node, bytes] = {}
    items = list(spans.items())
    for first in range(0, len(items), COMPOUND):
        part = items[first : first + COMPOUND]
        params: list[int] = []
        for (level, chunk), (low, high) in part:
            params += [low * HASH + 1, (high - low + 1) * HASH, level, chunk]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join([_SLICE] * len(part)), params)
            rows = cursor.fetchall()
        for level, chunk, data in rows:
            low, _high = spans[level, chunk]
            data = bytes(data)
            for at in range(0, len(data) - HASH + 1, HASH):
                found[level, chunk * CHUNK + low + at // HASH] = data[at : at + HASH]
    missing = [node for node in wanted if node not in found]
    if missing:
        raise LevelsMissing(f"the stored tree levels do not hold node {min(missing)}")
    return found


def tree_size(nodes: Any = LedgerNodes) -> int:
    """How many leaves the stored levels cover (the hashes at level 0)."""
    last = nodes.objects.filter(level=0).order_by("-chunk").values_list("chunk", "hashes").first()
    if last is None:
        return 0
    chunk, data = last
    return int(chunk) * CHUNK + len(data) // HASH


def tree_root(size: int) -> bytes:
    """MTH of the first ``size`` leaves, from at most log2(size) stored nodes."""
    if size == 0:
        return root_from_hashes([])
    return _with_stored_nodes(lambda node: _root(0, size, node))


def tree_inclusion_proof(index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) (RFC 9162 §2.1.3.1) from stored nodes."""
    if not 0 <= index < size:
        raise IndexError(f"leaf {index} is not in a tree of {size}")
    return _with_stored_nodes(lambda node: _path(index, 0, size, node))


def tree_consistency_proof(old: int, size: int) -> list[bytes]:
    """PROOF(old, D[size]) (RFC 9162 §2.1.4.1) from stored nodes."""
    if not 0 < old <= size:
        raise ValueError(f"no consistency proof from size {old} to {size}")
    return _with_stored_nodes(lambda node: _subproof(old, 0, size, True, node))


def tree_consistency_roots_and_proof(old: int, size: int) -> tuple[bytes, bytes, list[bytes]]:
    """The old root, the new root and PROOF(old, D[size]), from one query."""
    if not 0 < old <= size:
        raise ValueError(f"no consistency proof from size {old} to {size}")
    return _with_stored_nodes(
        lambda node: (
            _root(0, old, node),
            _root(0, size, node),
            _subproof(old, 0, size, True, node),
        )
    )


# --- writes -----------------------------------------------------------------------------


def tree_extend() -> int:
    """Bring the stored levels up to date with LedgerLeaf; the number of leaves they now
    cover. Under the log's append lock, so two signers never extend at once."""
    return levels_extend(nodes=LedgerNodes, leaves=LedgerLeaf, heads=LedgerHead)


def levels_extend(*, nodes: Any, leaves: Any, heads: Any) -> int:
    """``tree_extend`` over the given models (the migration passes its historical ones)."""
    with transaction.atomic():
        # The row ledger_append locks (none yet: nothing was appended through it).
        list(heads.objects.select_for_update().filter(name="default"))
        size = tree_size(nodes)
        if size and not _levels_match(size, nodes, leaves):
            # The leaves were replaced under the levels (a restore, a reset): start over.
            nodes.objects.all().delete()
            size = 0
        while True:
            batch = [
                bytes.fromhex(h)
                for h in leaves.objects.filter(index__gte=size, index__lt=size + BATCH)
                .order_by("index")
                .values_list("leaf_hash", flat=True)
            ]
            if not batch:
                return size
            _append(size, batch, nodes)
            size += len(batch)


def _levels_match(size: int, nodes: Any, leaves: Any) -> bool:
    stored = _row_slice(nodes, 0, size - 1)
    logged = leaves.objects.filter(index=size - 1).values_list("leaf_hash", flat=True).first()
    return logged is not None and bytes.fromhex(logged) == stored


def _row_slice(nodes: Any, level: int, index: int) -> bytes:
    chunk, offset = divmod(index, CHUNK)
    data = nodes.objects.filter(level=level, chunk=chunk).values_list("hashes", flat=True).get()
    return bytes(data)[offset * HASH : (offset + 1) * HASH]


def _append(size: int, leaf_hashes: list[bytes], nodes: Any) -> None:
    """Store ``leaf_hashes`` as leaves size, size + 1, ... and every complete node above
    them. Level L holds size >> L nodes before; a new parent whose left child was stored
    earlier (the level's count was odd) reads that child back."""
    level, start, new = 0, size, leaf_hashes
    while new:
        _write_level(nodes, level, start, new)
        first = start - (start & 1)
        row = [_row_slice(nodes, level, start - 1), *new] if start & 1 else new
        new = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level, start = level + 1, first // 2


def _write_level(nodes: Any, level: int, start: int, hashes: list[bytes]) -> None:
    """Append ``hashes`` to ``level`` from node ``start``: fill the partial row, then new rows."""
    chunk, offset = divmod(start, CHUNK)
    data = b"".join(hashes)
    if offset:
        fill = (CHUNK - offset) * HASH
        row = nodes.objects.filter(level=level, chunk=chunk)
        old = bytes(row.values_list("hashes", flat=True).get())
        row.update(hashes=old + data[:fill])
        data, chunk = data[fill:], chunk + 1
    step = CHUNK * HASH
    nodes.objects.bulk_create(
        nodes(level=level, chunk=chunk + i // step, hashes=data[i : i + step])
        for i in range(0, len(data), step)
    )
