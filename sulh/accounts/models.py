"""Staff accounts, their roles, and the stations where cases are registered."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from sulh.accounts.roles import Role
from sulh.accounts.sessions import StaffSession
from sulh.keys.fields import EncryptedTextField, RowSealedModel

__all__ = [
    "CaseReadWindow",
    "DeviceToken",
    "EnrolmentCode",
    "LoginState",
    "Role",
    "Service",
    "StaffSession",
    "Station",
    "StepUp",
    "Throttle",
    "User",
]


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


class DeviceToken(models.Model):
    """A station device's bearer token: bound to a station and a named device, scoped,
    expiring and revocable. Only its hash is stored; ``sulh tokens`` creates and revokes it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_tokens")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="device_tokens")
    device = models.CharField(max_length=64)
    scopes = models.CharField(max_length=200)  # space-separated, as in OAuth
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One live token per device: a replacement needs the old one revoked first.
            models.UniqueConstraint(
                fields=["station", "device"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_token_per_device",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="device_token_expires_after_creation",
            ),
        ]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class StepUp(models.Model):
    """A short-lived proof of a fresh second factor, for an officer's actions over the API;
    refused codes are kept too (without a token) so that guessing is throttled."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="step_ups")
    at = models.DateTimeField()
    granted = models.BooleanField()
    token_sha256 = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(granted=False, token_sha256__isnull=True)
                | models.Q(granted=True, token_sha256__isnull=False, expires_at__isnull=False),
                name="step_up_granted_has_token",
            ),
        ]


class LoginState(RowSealedModel):
    """The second factor of one account (failed sign-ins are counted in ``Throttle``)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_state")
    totp_secret = EncryptedTextField(blank=True, default="")  # base32, sealed at rest
    totp_last_step = models.BigIntegerField(default=0)  # a code is accepted once


class Service(models.Model):
    """An officer serves a program: they see its cases (``sulh.accounts.policy``,
    PROGRAM_BOUND). In a program whose definition says ``officer_scope: station`` they see
    only the cases of the stations they serve it at, one row per station."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="services")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program", "station"], name="service_unique_station"
            ),
            models.UniqueConstraint(
                fields=["user", "program"],
                condition=models.Q(station__isnull=True),
                name="service_unique_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}@{self.station_id or '*'}"

    def clean(self) -> None:
        """The admin site's check; ``sulh users serve`` refuses the same."""
        definition = getattr(self.program, "definition", None) if self.program_id else None
        scope = definition.get("officer_scope") if isinstance(definition, dict) else None
        if scope == "station" and self.station_id is None:
            raise ValidationError(
                {"station": "this program's officers serve it at named stations: pick one"}
            )


class CaseReadWindow(models.Model):
    """How much personal data an account drew in its current window, per kind of read:
    cases opened and people shown by a search (``case``, ``SULH_CASE_READS`` per
    ``SULH_CASE_READS_SECONDS``), or look-alike checks while registering
    (``intake_check``, ``SULH_INTAKE_CHECKS``). Beyond the limit, reads are refused and an
    alert raised, once per window."""

    KIND_CASE = "case"
    KIND_INTAKE_CHECK = "intake_check"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="read_windows")
    kind = models.CharField(max_length=20, default=KIND_CASE)
    started_at = models.DateTimeField()
    reads = models.PositiveIntegerField(default=0)
    alerted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_read_window_per_kind")
        ]


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
