"""The life of a case: an explicit state machine with every transition recorded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.accounts.models import Station
from sulh.keys.fields import EncryptedJSONField, EncryptedTextField, RowSealedModel
from sulh.registry.models import Intake


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SCREENED = "screened", _("Screened")
    IN_REVIEW = "in_review", _("In review")
    DECISION_PENDING = "decision_pending", _("Decision awaiting a second officer")
    DECIDED = "decided", _("Decided")
    CARD_ISSUED = "card_issued", _("Card issued")
    APPEALED = "appealed", _("Appealed")
    ELIGIBILITY_REVOKED = "eligibility_revoked", _("Eligibility revoked")
    # Linked to another registration of the same person, which carries the case on.
    DUPLICATE = "duplicate", _("Closed: a duplicate registration")


class Outcome(models.TextChoices):
    AMNESTY = "amnesty", _("Amnesty")
    DEPARTURE = "departure", _("Departure")
    REFERRAL = "referral", _("Referral for investigation")
    DENIAL = "denial", _("Denial")


ADVERSE_OUTCOMES = frozenset({Outcome.REFERRAL, Outcome.DENIAL})


class Case(RowSealedModel):
    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="case")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField(max_length=24, choices=State.choices, db_index=True)
    is_child = models.BooleanField(default=False)
    proposed_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # which rule fired and where the person may go say their category, affiliation and
    # origin: sealed (the outcome alone stays in clear, for the public figures)
    proposed_rule = EncryptedTextField(blank=True)
    proposed_destinations = EncryptedJSONField(default=list)
    proposal_explanation = EncryptedJSONField(default=dict)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    destination = EncryptedTextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)  # personal data erased (retention)
    # Children are handed over to child-protection actors within 48 hours (Paris Principles).
    handover_due_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_to = EncryptedTextField(blank=True)  # which agency took a child: sealed
    # What the station's clock said at the submission, within the allowed skew: kept as the
    # station's claim only. The registration time is the server's (the intake's submitted_at).
    station_claimed_at = models.DateTimeField(null=True, blank=True)
    # Closed as a duplicate: the surviving case's id, sealed (which registrations are one
    # person is not said in clear), and a keyed hash of it for the survivor to find its
    # duplicates by (as ``MatchCandidate.other_index``).
    duplicate_of = EncryptedTextField(blank=True)
    duplicate_of_index = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["program", "state"])]

    @property
    def serial(self) -> str:
        return self.intake.serial


class CaseEvent(RowSealedModel):
    """Who did what to a case, when and why. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    event = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField()
    reason = EncryptedTextField(blank=True)  # free text may name people: sealed
    outcome = models.CharField(max_length=16, blank=True)
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]


class DecisionStatus(models.TextChoices):
    AWAITING_SECOND = "awaiting_second", _("Awaiting a second officer")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected by the second officer")
    VOIDED = "voided", _("Voided: the case went back to review")


class Decision(RowSealedModel):
    """An officer's decision; adverse outcomes need a second officer's confirmation."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    destination = EncryptedTextField(blank=True)
    follows_proposal = models.BooleanField()
    rule_id = EncryptedTextField(blank=True)
    reason = EncryptedTextField()
    status = models.CharField(max_length=20, choices=DecisionStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions_made"
    )
    decided_at = models.DateTimeField()
    second_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions_confirmed",
    )
    second_at = models.DateTimeField(null=True, blank=True)
    second_reason = EncryptedTextField(blank=True)
    on_appeal = models.BooleanField(default=False)


class SecondOfficerRequest(RowSealedModel):
    """A step one officer asks for and a second, different officer confirms or sends back
    (four eyes), like an adverse decision. Until then it has no effect."""

    reason = EncryptedTextField()
    status = models.CharField(
        max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.AWAITING_SECOND
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    second_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_at = models.DateTimeField(null=True, blank=True)
    second_reason = EncryptedTextField(blank=True)

    class Meta:
        abstract = True


class EligibilityRevocation(SecondOfficerRequest):
    """A deciding officer proposes to revoke a case's eligibility; another confirms it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="revocations")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="awaiting_second"),
                name="one_pending_revocation_per_case",
            )
        ]


class ExportRequest(RowSealedModel):
    """An export of a program's personal data: asked with a purpose, approved by a second
    officer, written once by the one who asked; every step is in the audit trail."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT)
    purpose = EncryptedTextField(context="registry.ExportRequest.purpose")  # sealed there first
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "registry_exportrequest"  # where export requests were kept before
