"""The audit trail: every read of personal data, decision and card action, hash-chained.

Entries hold who, when, what and why, never personal data itself.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)  # username; "" for the system
    action = models.CharField(max_length=60)
    obj_type = models.CharField(max_length=40)
    obj_id = models.CharField(max_length=64)
    purpose = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]


class AuditHead(models.Model):
    """One row: the last sequence number and hash, locked while an entry is appended."""

    name = models.CharField(max_length=20, unique=True, default="default")
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)
