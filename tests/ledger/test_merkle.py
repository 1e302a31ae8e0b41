"""The Merkle tree against a textbook recursive definition, and proofs that catch rewrites."""

from __future__ import annotations

import hashlib

import pytest

from sulh.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_hashes,
    verify_consistency,
    verify_inclusion,
)


def _textbook_root(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 §2.1.1, written as the definition reads."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(
        b"\x01" + _textbook_root(leaves[:k]) + _textbook_root(leaves[k:])
    ).digest()


LEAVES = [f"leaf-{i}".encode() for i in range(40)]
HASHES = [leaf_hash(leaf) for leaf in LEAVES]


def test_the_empty_tree_and_rfc_leaf_hash():
    assert (
        root_from_hashes([]).hex()
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


@pytest.mark.parametrize("size", range(1, 41))
def test_roots_match_the_definition(size):
    assert root_from_hashes(HASHES[:size]) == _textbook_root(LEAVES[:size])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 16, 31, 40])
def test_every_leaf_proves_its_inclusion(size):
    root = root_from_hashes(HASHES[:size])
    for index in range(size):
        proof = inclusion_proof(index, HASHES[:size])
        assert verify_inclusion(HASHES[index], index, size, proof, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)


@pytest.mark.parametrize(
    ("old", "new"), [(1, 2), (1, 8), (3, 7), (4, 8), (6, 8), (7, 40), (8, 40), (13, 31), (40, 40)]
)
def test_an_extended_log_is_consistent_with_its_past(old, new):
    proof = consistency_proof(old, HASHES[:new])
    assert verify_consistency(
        old, new, root_from_hashes(HASHES[:old]), root_from_hashes(HASHES[:new]), proof
    )


def test_a_rewritten_past_fails_the_consistency_check():
    rewritten = [*HASHES[:5], leaf_hash(b"changed"), *HASHES[6:20]]
    old_root = root_from_hashes(HASHES[:10])
    proof = consistency_proof(10, rewritten)
    assert not verify_consistency(10, 20, old_root, root_from_hashes(rewritten), proof)
