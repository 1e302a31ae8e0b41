"""Staff accounts, their roles, and the stations where cases are registered."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from sulh.accounts.roles import Role
from sulh.keys.fields import EncryptedTextField

__all__ = ["ApiToken", "EnrolmentCode", "LoginState", "Role", "Station", "Throttle", "User"]


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


class ApiToken(models.Model):
    """A bearer token for station devices and scripts; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class LoginState(models.Model):
    """The second factor of one account (failed sign-ins are counted in ``Throttle``)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_state")
    totp_secret = EncryptedTextField(blank=True, default="")  # base32, sealed at rest
    totp_last_step = models.BigIntegerField(default=0)  # a code is accepted once


class EnrolmentCode(models.Model):
    """A one-time code an administrator issues so that one account may enrol (or replace)
    its authenticator; only a keyed hash of the code is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class Throttle(models.Model):
    """Requests and failures counted for one keyed client address, account or second step.

    ``key`` is a keyed hash of what is counted: no address or username is stored in clear.
    Rate limits count ``hits`` in the window opened at ``window_start``; back-off counts
    ``failures`` in a row and refuses until ``wait_until``.
    """

    key = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    wait_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(db_index=True)
