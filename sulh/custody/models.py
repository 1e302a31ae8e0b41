"""Custody: items handed in, their tags, the receipts people keep, the stores that hold
them, the append-only ledger of what happened to each, counts and incidents.

An item's serial as read and its markings may tie a person to a unit's register: they
are sealed. Duplicates are found by a keyed hash of the normalised serial with the make
and calibre, which cannot be aligned with a known list without the site's index key.
The ledger (``CustodyEvent``) is append-only: a wrong entry gets a reversal, and the
model refuses to change or delete a row (so does its queryset).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.core.errors import Conflict
from sulh.keys.fields import EncryptedJSONField, EncryptedTextField, RowSealedModel


class ItemKind(models.TextChoices):
    WEAPON = "weapon", _("Weapon")
    AMMUNITION = "ammunition", _("Ammunition")
    EXPLOSIVE = "explosive", _("Explosive")
    VEHICLE = "vehicle", _("Vehicle")
    RADIO = "radio", _("Radio")
    STATE_PROPERTY = "state_property", _("Other state property")


class SerialStatus(models.TextChoices):
    PRESENT = "present", _("Serial present")
    ALTERED = "altered", _("Serial altered")
    ERASED = "erased", _("Serial erased")


class Condition(models.TextChoices):
    SERVICEABLE = "serviceable", _("Serviceable")
    UNSERVICEABLE = "unserviceable", _("Unserviceable")


class ItemState(models.TextChoices):
    IN_STORE = "in_store", _("In store")
    IN_TRANSIT = "in_transit", _("In transit")
    ISSUED = "issued", _("Issued")
    LOST = "lost", _("Lost or stolen")
    TRANSFERRED = "transferred", _("Transferred to a national authority")
    DESTROYED = "destroyed", _("Destroyed")
    VOID = "void", _("Never received: its receipt entry was reversed")


class Store(models.Model):
    """A place items are kept, with the one custodian accountable for it."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code


class Item(RowSealedModel):
    """One thing handed in: a weapon, a lot of ammunition (a quantity of one calibre), an
    explosive, a vehicle, a radio or other state property. ``state`` and ``store`` are
    where the ledger has put it; only the ledger's service moves them."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    # the person's intake; empty for a group's hand-in (the receipt names a representative)
    intake = models.ForeignKey(
        "registry.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    calibre = models.CharField(max_length=16, blank=True)
    serial_as_read = EncryptedTextField(blank=True)  # original script, digits as written
    serial_status = models.CharField(max_length=8, choices=SerialStatus.choices, blank=True)
    # keyed hash of normalised serial, make and calibre: equal for one weapon read twice
    serial_key = models.CharField(max_length=64, blank=True, db_index=True)
    markings = EncryptedJSONField(default=list)  # [{text, script, place}]
    condition = models.CharField(max_length=16, choices=Condition.choices)
    quantity = models.PositiveIntegerField(default=1)  # rounds, for ammunition
    lot = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=12, choices=ItemState.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="items")
    location = models.CharField(max_length=60, blank=True)  # rack, shelf, container
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["store", "state"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="item_quantity"),
        ]


class DuplicateFlag(models.Model):
    """The same serial (normalised, make and calibre agreeing) handed in by two people:
    for review, never resolved by itself."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="duplicate_flags")
    other = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)


class TagCounter(models.Model):
    """The next registry number per program and year, allocated under a row lock."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="tag_counter_unique")
        ]


class Tag(models.Model):
    """An item's registry number, printed as a signed QR label."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="tag")
    number = models.CharField(max_length=40, unique=True)
    tag_id = models.CharField(max_length=12, unique=True)  # the code's random id (hex)
    text = models.TextField()  # SULHT1:…
    key = models.ForeignKey("keys.SigningKey", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()


class Receipt(RowSealedModel):
    """What a person (or a group's representative) keeps: the items by tag, and whether
    each counted for eligibility. An ineligible person gets one too."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    intake = models.ForeignKey(
        "registry.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    representative = EncryptedTextField(blank=True)  # a collective receipt's: sealed
    receipt_id = models.CharField(max_length=12, unique=True)
    text = EncryptedTextField()  # SULHR1:…; carries the representative's name
    key = models.ForeignKey("keys.SigningKey", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(intake__isnull=False) | ~models.Q(representative=""),
                name="receipt_names_someone",
            )
        ]


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    counted = models.BooleanField()  # counted for eligibility

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["receipt", "item"], name="receipt_item_once")
        ]


class DispatchState(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")


class Dispatch(models.Model):
    """A shipment between stores: sealed at dispatch by one officer, checked at receipt
    by another (the handover declaration)."""

    from_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    to_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    seals = models.JSONField(default=list)  # the seal numbers on the crates
    state = models.CharField(
        max_length=12, choices=DispatchState.choices, default=DispatchState.IN_TRANSIT
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    seals_seen = models.JSONField(default=list)


class CountKind(models.TextChoices):
    SAMPLE = "sample", _("Weekly sample")
    FULL = "full", _("Full count")


class CountState(models.TextChoices):
    OPEN = "open", _("Open: counting")
    CLOSED = "closed", _("Closed: reconciled")


class Count(models.Model):
    """A count of one store by an officer who is not its custodian. The sample is drawn
    when it opens, from a seed fixed then; the counter is shown the locations to count,
    never the items expected there."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="counts")
    kind = models.CharField(max_length=8, choices=CountKind.choices)
    state = models.CharField(max_length=8, choices=CountState.choices, default=CountState.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    head = models.ForeignKey("ledger.TreeHead", on_delete=models.PROTECT, related_name="+")
    nonce = models.CharField(max_length=32)
    seed = models.CharField(max_length=64)
    sample = models.JSONField(default=list)  # item ids drawn (a full count: every item)
    locations = models.JSONField(default=list)  # what the counter is told to count
    closed_at = models.DateTimeField(null=True, blank=True)
    results = models.JSONField(default=dict)  # by result: tags (after closing)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(state="open"), name="one_open_count_per_store"
            )
        ]


class CountScan(models.Model):
    """A tag the counter scanned or typed, where they found it."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="scans")
    tag = models.CharField(max_length=40)  # the registry number read
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.CharField(max_length=60)
    scanned_at = models.DateTimeField()
    # a scan of a tag already scanned into this count: refused, kept as a duplicate scan
    refused_as_duplicate = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["count", "tag"],
                condition=models.Q(refused_as_duplicate=False),
                name="tag_once_per_count",
            )
        ]


class CountSettings(models.Model):
    """A program's count rules (IDDRS 4.10 §7.3.1): a weekly sample of at least 10 % of a
    store's items and a full count every six months, unless the program says more."""

    program = models.OneToOneField("programs.Program", on_delete=models.PROTECT, related_name="+")
    sample_percent = models.PositiveSmallIntegerField(default=10)
    sample_every_days = models.PositiveSmallIntegerField(default=7)
    full_every_days = models.PositiveSmallIntegerField(default=182)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sample_percent__gte=10, sample_percent__lte=100),
                name="sample_at_least_ten_percent",
            ),
        ]


class IncidentKind(models.TextChoices):
    SHORTFALL = "shortfall", _("Shortfall at receipt")
    SEALS = "seals", _("Seals do not match")
    COUNT_MISSING = "count_missing", _("Missing at a count")
    LOSS = "loss", _("Loss")
    THEFT = "theft", _("Theft")


class IncidentState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    INVESTIGATING = "investigating", _("Investigating")
    CLOSED = "closed", _("Closed")


class Incident(models.Model):
    """A suspected loss or theft, reported at once and investigated (MOSAIC 05.20)."""

    kind = models.CharField(max_length=16, choices=IncidentKind.choices)
    state = models.CharField(
        max_length=16, choices=IncidentState.choices, default=IncidentState.REPORTED
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="incidents")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    count = models.ForeignKey(
        Count, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    items = models.ManyToManyField(Item, related_name="incidents", blank=True)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict)  # tags and seal numbers, never a person


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    TAGGED = "tagged", _("Tagged")
    STORED = "stored", _("Stored")
    DISPATCHED = "dispatched", _("Dispatched")
    RECEIVED_AT = "received_at", _("Received at a store")
    ISSUED = "issued", _("Issued")
    RETURNED = "returned", _("Returned")
    COUNTED = "counted", _("Counted")
    DISCREPANCY = "discrepancy", _("Discrepancy")
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")
    RECOVERED = "recovered", _("Recovered")
    TRANSFERRED = "transferred", _("Transferred to a national authority")
    DEACTIVATED = "deactivated", _("Deactivated")
    DESTROYED = "destroyed", _("Destroyed")
    REVERSAL = "reversal", _("Reversal of an entry")


class AppendOnlyQuerySet(models.QuerySet["CustodyEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise Conflict("custody entries are never changed: record a reversal", field="event")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise Conflict("custody entries are never deleted: record a reversal", field="event")


class CustodyEvent(RowSealedModel):
    """One entry of an item's custody ledger. Append-only: a wrong entry is corrected by
    a reversal naming it, never by an edit or a deletion."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    at = models.DateTimeField()  # when it happened
    recorded_at = models.DateTimeField()  # when it was written
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.CharField(max_length=60, blank=True)
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    count = models.ForeignKey(
        Count, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # issued and returned: what for, and the officer who authorised it
    purpose = EncryptedTextField(blank=True)
    authoriser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # what the item's state and store were before: a reversal puts them back
    state_before = models.CharField(max_length=12, blank=True)
    store_before = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location_before = models.CharField(max_length=60, blank=True)
    reason = EncryptedTextField(blank=True)  # staff free text: sealed

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["item", "id"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise Conflict("custody entries are never changed: record a reversal", field="event")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise Conflict("custody entries are never deleted: record a reversal", field="event")


class DestructionMethod(models.TextChoices):
    CUTTING = "cutting", _("Cutting")
    CRUSHING = "crushing", _("Crushing")
    SHREDDING = "shredding", _("Shredding")
    SMELTING = "smelting", _("Smelting")
    BURNING = "burning", _("Open burning")
    DETONATION = "detonation", _("Open detonation")


class BatchState(models.TextChoices):
    PREPARED = "prepared", _("Prepared: awaiting witnesses")
    DESTROYED = "destroyed", _("Destroyed")


class DestructionBatch(models.Model):
    """Items of one store destroyed together, at a time and place, by a method, before
    witnesses who sign the batch's document with their enrolled keys. The log carries a
    salted commitment to the batch's serials (``sulh.ledger.destruction``), never the list."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="destructions")
    method = models.CharField(max_length=12, choices=DestructionMethod.choices)
    place = models.CharField(max_length=120)
    at = models.DateTimeField()  # when the items are destroyed
    document = models.JSONField(default=dict)  # what each witness signs
    root = models.CharField(max_length=64)  # the Merkle root over the serial leaves (hex)
    state = models.CharField(max_length=12, choices=BatchState.choices, default=BatchState.PREPARED)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField()
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leaf_index = models.PositiveBigIntegerField(null=True, blank=True)  # the batch record's


class DestructionLine(RowSealedModel):
    """One item of a batch, with the salt of its serial leaf (sealed: with it and the
    serial, anyone can test the leaf)."""

    batch = models.ForeignKey(DestructionBatch, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    salt = EncryptedTextField()  # hex

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "item"], name="batch_item_once")]


class DestructionWitness(models.Model):
    batch = models.ForeignKey(DestructionBatch, on_delete=models.PROTECT, related_name="witnesses")
    witness = models.ForeignKey("keys.WitnessKey", on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=100)  # base64url Ed25519 over the document
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "witness"], name="one_signature_a_witness")
        ]


class FiguresLogged(models.Model):
    """A day whose weapons figures were written to the log (once a day)."""

    day = models.DateField(unique=True)
    logged_at = models.DateTimeField()
    records = models.PositiveIntegerField()
