"""Online matching state: keyed blocking keys, screening lists, and review candidates.

Nothing here holds a name in clear: blocking keys are keyed hashes, list entries
are sealed like the registry's personal fields. Nor does anything say in clear which case
looks like which list entry or which other case, by what score: a candidate's kind, its
other side and its score are sealed too.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sulh.keys.fields import (
    EncryptedFloatField,
    EncryptedJSONField,
    EncryptedTextField,
    RowSealedModel,
)
from sulh.keys.sealing import blind_index


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


class ListEntry(RowSealedModel):
    screening_list = models.ForeignKey(
        ScreeningList, on_delete=models.CASCADE, related_name="entries"
    )
    entry_id = EncryptedTextField()  # the list's own reference: sealed
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
    OPEN = "open", pgettext_lazy("a look-alike still to resolve", "Open")
    LINKED = "linked", _("Confirmed: same person")
    CLEARED = "cleared", _("Cleared: not the same person")
    # one of its two registrations was closed as the other's or a third's duplicate
    CLOSED = "closed", _("Closed: a registration was closed as a duplicate")


class MatchCandidate(RowSealedModel):
    """A lead for a vetting officer, never a decision: linked or cleared with a reason.

    ``other`` is the id of the other case (a duplicate) or of the list entry (a list hit),
    sealed with the kind and the score; ``other_index`` is a keyed hash of it, so that the
    candidates naming a case can be found (retention) without saying which case that is.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="candidates")
    kind = EncryptedTextField(choices=CandidateKind.choices)
    other = EncryptedTextField()
    other_index = models.CharField(max_length=64, db_index=True)
    score = EncryptedFloatField()
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

    @cached_property
    def other_case(self) -> Any:
        """The case this one may duplicate (None for a list hit)."""
        if self.kind != CandidateKind.DUPLICATE:
            return None
        case_model = cast(type[models.Model], self._meta.get_field("case").related_model)
        return case_model._default_manager.select_related("intake").get(pk=int(self.other))

    @cached_property
    def list_entry(self) -> ListEntry | None:
        """The list entry this case may be (None for a duplicate)."""
        if self.kind != CandidateKind.LIST:
            return None
        return ListEntry.objects.get(pk=int(self.other))


def candidate_other_index(*, kind: str, pk: int) -> str:
    """What is stored beside a candidate's sealed other side: for a duplicate, a keyed
    hash of the other case, so that erasing that case finds the candidates naming it; for
    a list hit, nothing is ever looked up by it, so a random value: hits of one list entry
    do not share a value a database thief could group them by."""
    if kind == CandidateKind.LIST:
        return secrets.token_hex(32)
    return blind_index(f"{kind}:{pk}", purpose="match-candidate-other")
