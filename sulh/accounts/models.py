"""Staff accounts, their roles, and the stations where cases are registered."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.keys.fields import EncryptedTextField


class Role(models.TextChoices):
    CLERK = "clerk", _("Registration clerk")
    VETTING_OFFICER = "vetting_officer", _("Vetting officer")
    DECIDING_OFFICER = "deciding_officer", _("Deciding officer")
    CARD_OFFICER = "card_officer", _("Card officer")
    EVACUATION_COORDINATOR = "evacuation_coordinator", _("Evacuation coordinator")
    CHECKPOINT_OFFICER = "checkpoint_officer", _("Checkpoint officer")
    CHILD_PROTECTION = "child_protection", _("Child-protection officer")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    MONITOR = "monitor", _("Independent monitor")
    ADMINISTRATOR = "administrator", _("Administrator")


class Station(models.Model):
    """A registration point: a reconciliation centre, police station or crossing."""

    code = models.SlugField(max_length=32, unique=True)
    name_ar = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    governorate = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.code


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices)
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    language = models.CharField(max_length=8, default="ar", choices=[("ar", "ar"), ("en", "en")])

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles


class ApiToken(models.Model):
    """A bearer token for station devices and scripts; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class LoginState(models.Model):
    """Failed sign-ins, lockout and the second factor of one account."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_state")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    totp_secret = EncryptedTextField(blank=True, default="")  # base32, sealed at rest
    totp_last_step = models.BigIntegerField(default=0)  # a code is accepted once
