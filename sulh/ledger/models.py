"""The append-only transparency log: public leaves and signed tree heads; the bulletins
published against the heads, the monitor packages written for them, and the monitors'
attestations."""

from __future__ import annotations

from typing import Any

from django.db import models

from sulh.ledger.disclosure import bulletin_in_order


class LedgerLeaf(models.Model):
    index = models.PositiveBigIntegerField(unique=True)
    leaf = models.TextField()  # canonical JSON, as published
    leaf_hash = models.CharField(max_length=64)
    # The opening of a commitment leaf ({"record", "salt"}), sealed and bound to the leaf's
    # index (sulh.ledger.services); empty on a totals leaf. Never leaves the site in clear.
    opening = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["index"]


class LedgerHead(models.Model):
    """One row: the size of the log, locked while a leaf is appended."""

    name = models.CharField(max_length=20, unique=True, default="default")
    size = models.PositiveBigIntegerField(default=0)


class TreeHead(models.Model):
    """A published (signed) tree head: the only sizes proofs and exports are served for."""

    size = models.PositiveBigIntegerField(db_index=True)  # proofs are asked by head size
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    signature = models.CharField(max_length=128)  # base64url r||s over the canonical head
    # The audit chain's head when this tree head was signed (anchoring); None on older heads.
    audit_seq = models.PositiveBigIntegerField(null=True)
    audit_hash = models.CharField(max_length=64, blank=True)


class Bulletin(models.Model):
    """A program's bulletin as published against a tree head (figures under the disclosure
    method; the exact block as held)."""

    program = models.CharField(max_length=64)
    head = models.ForeignKey(TreeHead, on_delete=models.PROTECT, related_name="bulletins")
    document = models.JSONField()
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "head"], name="one_bulletin_per_head")
        ]

    def in_order(self) -> dict[str, Any]:
        """The document with rows in reading order (PostgreSQL's jsonb keeps none)."""
        return bulletin_in_order(self.document)


class MonitorPackage(models.Model):
    """The openings of leaves ``first``..``size - 1``, encrypted to one monitor (HPKE)."""

    monitor = models.ForeignKey("keys.MonitorKey", on_delete=models.PROTECT)
    head = models.ForeignKey(TreeHead, on_delete=models.PROTECT)
    first = models.PositiveBigIntegerField()
    size = models.PositiveBigIntegerField()
    document = models.TextField()  # JSON: clear header and the HPKE ciphertext

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "head"], name="one_package_per_head")
        ]


class Attestation(models.Model):
    """A monitor's signed statement that a bulletin agrees with the log, checked with the
    monitor's enrolled key when it was recorded."""

    monitor = models.ForeignKey("keys.MonitorKey", on_delete=models.PROTECT)
    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="attestations")
    document = models.JSONField()
    recorded_at = models.DateTimeField()


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
