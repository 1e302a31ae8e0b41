"""Writes for accounts: users and stations (device tokens: ``sulh.api.tokens``)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from sulh.accounts.models import Role, Station, User
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
