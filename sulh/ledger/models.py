"""The append-only transparency log: public leaves and signed tree heads."""

from __future__ import annotations

from django.db import models


class LedgerLeaf(models.Model):
    index = models.PositiveBigIntegerField(unique=True)
    leaf = models.TextField()  # canonical JSON, as published
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["index"]


class LedgerHead(models.Model):
    """One row: the size of the log, locked while a leaf is appended."""

    name = models.CharField(max_length=20, unique=True, default="default")
    size = models.PositiveBigIntegerField(default=0)


class TreeHead(models.Model):
    size = models.PositiveBigIntegerField(db_index=True)  # proofs are asked by head size
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    signature = models.CharField(max_length=128)  # base64url r||s over the canonical head
    # The audit chain's head when this tree head was signed (anchoring); None on older heads.
    audit_seq = models.PositiveBigIntegerField(null=True)
    audit_hash = models.CharField(max_length=64, blank=True)


class LedgerNodes(models.Model):
    """Stored tree levels (sulh/ledger/tree.py): the roots of the log's complete aligned
    subtrees, node(level, i) = MTH of leaves [i * 2**level, (i + 1) * 2**level), level 0
    the leaf hashes; ``CHUNK`` of them a row, 32 bytes each, in order (a level's last
    row partial). Derived from LedgerLeaf: rebuilt by ``tree_extend`` if lost."""

    level = models.PositiveSmallIntegerField()
    chunk = models.PositiveBigIntegerField()
    hashes = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "chunk"], name="ledger_nodes_level_chunk")
        ]
