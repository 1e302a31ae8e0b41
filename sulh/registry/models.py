"""What a registration desk records: the person, the intake, family, items, pledge.

Names, birth data, national numbers, category, affiliation, origin, destination, family
relations, weapons and free text are encrypted field by field (sulh.keys.fields). Only what
statistics need stays in clear: sex, age band, whether the person is a child, item kinds
and quantities.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from sulh.accounts.models import Station
from sulh.keys.fields import EncryptedTextField, RowSealedModel


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class Origin(models.TextChoices):
    LOCAL = "local", "Local resident"
    NON_LOCAL = "non_local", "Not local to the program's area"


class Person(RowSealedModel):
    """The identity a desk recorded, in Arabic and/or Latin script."""

    given_name_ar = EncryptedTextField(blank=True)
    father_name_ar = EncryptedTextField(blank=True)
    grandfather_name_ar = EncryptedTextField(blank=True)
    family_name_ar = EncryptedTextField(blank=True)
    mother_name_ar = EncryptedTextField(blank=True)
    given_name_lat = EncryptedTextField(blank=True)
    father_name_lat = EncryptedTextField(blank=True)
    grandfather_name_lat = EncryptedTextField(blank=True)
    family_name_lat = EncryptedTextField(blank=True)
    mother_name_lat = EncryptedTextField(blank=True)
    birth_date = EncryptedTextField(blank=True)  # "YYYY-MM-DD" or "YYYY"
    birth_place = EncryptedTextField(blank=True)
    national_id = EncryptedTextField(blank=True)
    national_id_index = models.CharField(max_length=64, blank=True, db_index=True)
    sex = models.CharField(max_length=8, choices=Sex.choices)
    age_band = models.CharField(max_length=8)  # e.g. "0-17", "18-24"
    is_child = models.BooleanField(default=False)
    age_disputed = models.BooleanField(default=False)
    # The holder's photo (base64 JPEG), when the program takes one: sealed like the names.
    photo = EncryptedTextField(blank=True)


class Intake(RowSealedModel):
    """One registration at one station: immutable once received."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    serial = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    payload_sha256 = models.CharField(max_length=64)
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT)
    program_version = models.CharField(max_length=40)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="intakes")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="intake")
    # what the person was, whom they served, where from and where to: sealed like names
    category = EncryptedTextField()
    affiliation = EncryptedTextField(blank=True)
    origin = EncryptedTextField(choices=Origin.choices)
    requested_destination = EncryptedTextField(blank=True)
    pledge_version = models.CharField(max_length=40)
    pledge_language = models.CharField(max_length=2, choices=[("ar", "ar"), ("en", "en")])
    pledge_signed = models.BooleanField()
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)


class FamilyMember(RowSealedModel):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="family")
    relation = EncryptedTextField()
    name_ar = EncryptedTextField(blank=True)
    name_lat = EncryptedTextField(blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices)
    birth_year = EncryptedTextField(blank=True)
    is_child = models.BooleanField(default=False)
    accompanying = models.BooleanField(default=False)  # came to the desk with the person


class ItemKind(models.TextChoices):
    WEAPON = "weapon", "Weapon"
    AMMUNITION = "ammunition", "Ammunition"
    ID_DOCUMENT = "id_document", "Identity document"
    OTHER = "other", "Other"


class SerialAbsence(models.TextChoices):
    NONE = "none", "No serial number"
    ERASED = "erased", "Serial number erased"
    UNREADABLE = "unreadable", "Serial number unreadable"


class SurrenderedItem(RowSealedModel):
    """An item handed over at intake; each gets a receipt line."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="items")
    line = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    # a service weapon's serial identifies its holder in an army's register: sealed
    weapon_type = EncryptedTextField(blank=True)
    calibre = EncryptedTextField(blank=True)
    serial_number = EncryptedTextField(blank=True)
    no_serial = models.BooleanField(default=False)  # serial absent or erased, stated explicitly
    # why, when the clerk said (older intakes and API clients may only set no_serial)
    serial_absence = models.CharField(max_length=12, choices=SerialAbsence.choices, blank=True)
    heavy = models.BooleanField(default=False)
    quantity = models.PositiveIntegerField(default=1)
    document_type = EncryptedTextField(blank=True)
    document_number = EncryptedTextField(blank=True)
    description = EncryptedTextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intake", "line"], name="item_line_unique"),
            models.CheckConstraint(
                condition=~(
                    models.Q(kind="weapon") & models.Q(serial_number="") & models.Q(no_serial=False)
                ),
                name="weapon_serial_or_flag",
            ),
        ]


class SerialCounter(models.Model):
    """The next intake number per station and year, allocated under a row lock."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "year"], name="serial_counter_unique")
        ]
