"""Writes for accounts: users, stations, the case-read budget (device tokens:
``sulh.api.tokens``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import CaseReadWindow, Role, Station, User
from sulh.core.errors import ValidationFailed


def station_create(*, code: str, name_ar: str, name_en: str, governorate: str = "") -> Station:
    station, _ = Station.objects.get_or_create(
        code=code, defaults={"name_ar": name_ar, "name_en": name_en, "governorate": governorate}
    )
    return station


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    station: Station | None = None,
    language: str = "ar",
) -> User:
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role!r}", field="role")
    if role == Role.CLERK and station is None:
        raise ValidationFailed("a registration clerk belongs to a station", field="station")
    user = User(username=username, role=role, station=station, language=language)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    with transaction.atomic():
        user.set_password(password)
        user.is_staff = role == Role.ADMINISTRATOR
        user.is_superuser = role == Role.ADMINISTRATOR
        user.save()
    return user


@dataclass(frozen=True)
class ReadBudget:
    allowed: bool
    reads: int  # in the current window, this one included
    first_refusal: bool  # the first read refused in this window: raise the alert now


def case_read_take(
    *,
    user: User,
    limit: int,
    seconds: int,
    reads: int = 1,
    kind: str = CaseReadWindow.KIND_CASE,
) -> ReadBudget:
    """Count ``reads`` reads of ``kind`` against ``user``'s window of ``seconds``; refused
    beyond ``limit``. The row is locked, so two workers never both let the 61st read
    through."""
    now = timezone.now()
    with transaction.atomic():
        window, _ = CaseReadWindow.objects.select_for_update().get_or_create(
            user=user, kind=kind, defaults={"started_at": now}
        )
        if now - window.started_at >= dt.timedelta(seconds=seconds):
            window.started_at, window.reads, window.alerted = now, 0, False
        window.reads += max(1, reads)
        allowed = window.reads <= limit
        first_refusal = not allowed and not window.alerted
        window.alerted = window.alerted or first_refusal
        window.save(update_fields=["started_at", "reads", "alerted"])
    return ReadBudget(allowed=allowed, reads=window.reads, first_refusal=first_refusal)
