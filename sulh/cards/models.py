"""Issued cards, their status-list indexes, extensions and published trust lists. Card
texts are sealed at rest; the keys that sign them live in ``sulh.keys``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.cases.models import SecondOfficerRequest
from sulh.keys.fields import EncryptedTextField, RowSealedModel
from sulh.keys.models import SigningKey


class CardState(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    SUSPENDED = "suspended", _("Suspended")


class Card(RowSealedModel):
    card_id = models.CharField(max_length=32, unique=True)  # hex of the random cti
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="cards")
    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    issued_at = models.DateTimeField()
    valid_until = models.DateTimeField()
    status_index = models.PositiveIntegerField(unique=True)
    state = models.CharField(max_length=10, choices=CardState.choices, default=CardState.VALID)
    text = EncryptedTextField(min_bucket=1024)  # the QR text carries the holder's names
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            # One card in force per case: a valid or suspended card is replaced, never joined.
            models.UniqueConstraint(
                fields=["case"],
                condition=~models.Q(state="revoked"),
                name="one_card_in_force_per_case",
            )
        ]


class CardReinstatement(SecondOfficerRequest):
    """A card officer asks to reinstate a revoked or suspended card; a second card officer
    approves it (or refuses) before the card is valid again."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="reinstatements")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["card"],
                condition=models.Q(status="awaiting_second"),
                name="one_pending_reinstatement_per_card",
            )
        ]


class StatusIndexCounter(models.Model):
    """The last status-list index handed out, allocated under a row lock."""

    name = models.CharField(max_length=20, unique=True, default="default")
    last = models.IntegerField(default=-1)


class CardExtension(RowSealedModel):
    """A program extends the validity of the cards it issued before a date, without reprinting.

    Published in the signed trust list; verifiers accept an expired card of the program
    issued before ``issued_before`` until ``valid_until``.
    """

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT)
    issued_before = models.DateTimeField()
    valid_until = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    reason = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)


class TrustListPublication(models.Model):
    """A trust list signed by the root key at a certification (the root stays offline)."""

    document = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
