"""Stored tree levels (sulh/ledger/tree.py): the root and RFC 9162 proofs of any size
from O(log n) stored nodes, exactly those of sulh/ledger/merkle.py over every leaf."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sulh.ledger import tree
from sulh.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_hashes,
    verify_consistency,
    verify_inclusion,
)
from sulh.ledger.models import LedgerLeaf, LedgerNodes
from sulh.ledger.tree import (
    tree_consistency_proof,
    tree_consistency_roots_and_proof,
    tree_extend,
    tree_inclusion_proof,
    tree_root,
    tree_size,
)

pytestmark = pytest.mark.django_db


def _log(count: int, *, start: int = 0, tag: str = "leaf") -> list[bytes]:
    """Append ``count`` leaves after ``start`` straight into the table; their hashes."""
    leaves = [f'{{"n":{start + i},"tag":"{tag}"}}'.encode() for i in range(count)]
    LedgerLeaf.objects.bulk_create(
        LedgerLeaf(index=start + i, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex())
        for i, leaf in enumerate(leaves)
    )
    return [leaf_hash(leaf) for leaf in leaves]


def _sizes(rng: random.Random, top: int) -> list[int]:
    powers = [1 << k for k in range(top.bit_length()) if 1 << k <= top]
    edges = [p + d for p in powers for d in (-1, 1) if 0 < p + d <= top]
    return sorted({1, 2, 3, top, *powers, *edges, *rng.sample(range(1, top + 1), 40)})


def _check_every_kind(hashes: list[bytes], size: int, rng: random.Random) -> None:
    prefix = hashes[:size]
    root = root_from_hashes(prefix)
    assert tree_root(size) == root
    for index in {0, size - 1, size // 2, rng.randrange(size)}:
        proof = tree_inclusion_proof(index, size)
        assert proof == inclusion_proof(index, prefix)
        assert verify_inclusion(prefix[index], index, size, proof, root)
    for old in {1, size, max(1, size // 2), rng.randrange(1, size + 1)}:
        proof = tree_consistency_proof(old, size)
        assert proof == consistency_proof(old, prefix)
        old_root = root_from_hashes(prefix[:old])
        assert verify_consistency(old, size, old_root, root, proof)
        assert tree_consistency_roots_and_proof(old, size) == (old_root, root, proof)


@pytest.mark.parametrize("chunk", [4, tree.CHUNK])
def test_it_gives_merkles_roots_and_proofs_for_every_kind_of_size(monkeypatch, rng, chunk):
    """Small rows (4 hashes) put row boundaries at every level; 1024 is the real one."""
    monkeypatch.setattr(tree, "CHUNK", chunk)
    monkeypatch.setattr(tree, "BATCH", 4 * chunk)  # several batches per extension
    hashes: list[bytes] = []
    top = 2100 if chunk > 4 else 300
    while len(hashes) < top:  # grown in uneven steps, extended after each
        hashes += _log(min(rng.choice([1, 2, 7, 64, 333]), top - len(hashes)), start=len(hashes))
        assert tree_extend() == len(hashes) == tree_size()
    for size in _sizes(rng, top):
        _check_every_kind(hashes, size, rng)


def test_it_stores_only_complete_aligned_subtrees_the_same_whatever_the_steps(monkeypatch, rng):
    monkeypatch.setattr(tree, "CHUNK", 4)
    hashes = _log(37)
    tree_extend()
    rows = {(r.level, r.chunk): bytes(r.hashes) for r in LedgerNodes.objects.all()}
    for level in range(6):
        count = 37 >> level
        stored = b"".join(rows[level, c] for c in range((count + 3) // 4))
        width = 1 << level
        assert stored == b"".join(
            root_from_hashes(hashes[i * width : (i + 1) * width]) for i in range(count)
        )
    assert {level for level, _ in rows} == set(range(6))  # 37 < 64: no level 6
    LedgerNodes.objects.all().delete()
    LedgerLeaf.objects.all().delete()
    done = 0
    for step in [1, 1, 3, 5, 2, 25]:  # the same rows, grown leaf by leaf and in jumps
        _log(step, start=done)
        done += step
        tree_extend()
    assert {(r.level, r.chunk): bytes(r.hashes) for r in LedgerNodes.objects.all()} == rows


def test_an_extension_reads_only_the_new_leaves_and_a_proof_few_nodes(rng):
    _log(5000)
    tree_extend()
    _log(3, start=5000)
    with CaptureQueriesContext(connection) as queries:
        assert tree_extend() == 5003
    leaf_reads = [q["sql"] for q in queries.captured_queries if "ledger_ledgerleaf" in q["sql"]]
    assert len(queries) <= 40 and len(leaf_reads) <= 3  # the check, the new leaves, the end
    with CaptureQueriesContext(connection) as queries:
        tree_inclusion_proof(1234, 5003)
        tree_consistency_roots_and_proof(777, 5003)
        tree_root(4097)
    assert len(queries) == 3  # one query each, for O(log n) 32-byte slices


def test_levels_over_replaced_leaves_are_built_again(rng):
    _log(100)
    tree_extend()
    LedgerLeaf.objects.all().delete()
    hashes = _log(60, tag="another log")
    assert tree_extend() == 60
    assert tree_root(60) == root_from_hashes(hashes)
    assert tree_size() == 60


def test_it_refuses_what_no_tree_has():
    _log(3)
    tree_extend()
    with pytest.raises(IndexError):
        tree_inclusion_proof(3, 3)
    with pytest.raises(ValueError):
        tree_consistency_proof(0, 3)
    with pytest.raises(tree.LevelsMissing):
        tree_root(4)
    assert tree_root(0) == root_from_hashes([])
