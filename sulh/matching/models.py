"""Online matching state: keyed blocking keys, screening lists, and review candidates.

Nothing here holds a name in clear: blocking keys are keyed hashes, list entries
are sealed like the registry's personal fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.keys.fields import EncryptedJSONField, EncryptedTextField


class MatchKey(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="match_key_unique")]
        # a block's members are read from the index alone, however large the table
        indexes = [models.Index(fields=["key", "case"], name="match_key_lookup")]


class ScreeningList(models.Model):
    """One version of a wanted or exclusion list; a new import is a new version."""

    name = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    active = models.BooleanField(default=True)
    entry_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="list_version_unique")
        ]


class ListEntry(models.Model):
    screening_list = models.ForeignKey(
        ScreeningList, on_delete=models.CASCADE, related_name="entries"
    )
    entry_id = models.CharField(max_length=64)
    record = EncryptedTextField()  # the entry as JSON, sealed


class ListKey(models.Model):
    """A list entry's keyed blocking keys (HMAC, like ``MatchKey``): an intake's candidates are
    looked up here by key, so no process holds a whole list in memory. Deleted with their list
    version (entries are never deleted alone)."""

    screening_list = models.ForeignKey(
        ScreeningList, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    entry = models.ForeignKey(
        ListEntry, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    key = models.CharField(max_length=32)

    class Meta:
        indexes = [  # a block's members are read from the index alone
            models.Index(fields=["screening_list", "key", "entry"], name="list_key_members")
        ]


class CandidateKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Possible duplicate registration")
    LIST = "list", _("Possible list match")


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LINKED = "linked", _("Confirmed: same person")
    CLEARED = "cleared", _("Cleared: not the same person")


class MatchCandidate(models.Model):
    """A lead for a vetting officer, never a decision: linked or cleared with a reason."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="candidates")
    kind = models.CharField(max_length=12, choices=CandidateKind.choices)
    other_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    list_entry = models.ForeignKey(ListEntry, null=True, blank=True, on_delete=models.CASCADE)
    score = models.FloatField()
    evidence = EncryptedJSONField(default=list)  # quotes both records' values: sealed
    model = models.CharField(max_length=40)
    status = models.CharField(
        max_length=8, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "status"])]
