"""The audit trail: every read of personal data, decision and card action, chained under a key.

Entries hold who, when and what in clear; why (the purpose or reason, free text) and the
details are sealed together, bound to the entry's sequence number and action, so that a
copy of the database reads no reason and a sealed value cannot be moved to another entry.
The chain covers a hash of the sealed bytes: a purpose erased with its case leaves the
chain verifiable.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)  # username; "" for the system
    action = models.CharField(max_length=60)
    obj_type = models.CharField(max_length=40)
    obj_id = models.CharField(max_length=64)
    sealed = models.TextField(blank=True)  # purpose and details; "" once erased with its case
    sealed_hash = models.CharField(max_length=64)  # SHA-256 of ``sealed`` as written, chained
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)  # HMAC under a key derived from the keyring

    class Meta:
        ordering = ["seq"]

    @property
    def purpose(self) -> str:
        """The purpose or reason, opened (needs the keyring); "" once erased."""
        from sulh.audit.services import entry_open

        return str(entry_open(self).get("purpose", ""))

    @property
    def details(self) -> dict[str, Any]:
        from sulh.audit.services import entry_open

        return dict(entry_open(self).get("details", {}))


class AuditHead(models.Model):
    """One row: the last sequence number and hash, locked while an entry is appended."""

    name = models.CharField(max_length=20, unique=True, default="default")
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)
    # An HMAC of (seq, entry_hash) under the chain key (off the database): moving the head
    # back to cut the chain's tail needs the key.
    head_mac = models.CharField(max_length=64, default="")
