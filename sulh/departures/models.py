"""Departures: orders from departure decisions, convoys, vehicles, and what happened to
each traveller from the vehicle door to arrival.

Nothing here names a person: a traveller is the case's person (``family_member`` empty)
or one of the intake's family members, referred to by key. Where an order may go says
the person's group, so it is sealed like the case's destination; the driver's name and
every note staff write are sealed too. What the counts need stays in clear: states,
vehicles, seats, whether a traveller is a child.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sulh.keys.fields import EncryptedJSONField, EncryptedTextField, RowSealedModel


class OrderState(models.TextChoices):
    OPEN = "open", _("Open: may be changed or cancelled")
    BOARDING = "boarding", _("Boarding: no longer changed")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed: its convoy departed")


class DepartureOrder(RowSealedModel):
    """Who leaves under one departure decision, where to, carrying what, until when."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12, choices=OrderState.choices, default=OrderState.OPEN)
    # where the person may go and goes: a restricted set names the group (sealed)
    allowed_destinations = EncryptedJSONField(default=list)
    destination = EncryptedTextField()
    window_closes_at = models.DateTimeField()
    convoy = models.ForeignKey(
        "Convoy", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    split_reason = EncryptedTextField(blank=True)  # why a family travels on two vehicles
    # a child travelling with no adult of the order: child protection is told
    unaccompanied_child = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="open"), name="one_open_order_per_case"
            )
        ]


class TravellerStatus(models.TextChoices):
    MANIFESTED = "manifested", _("On the order, not yet boarded")
    WITHDRAWN = "withdrawn", _("Taken off the order before boarding")
    BOARDED = "boarded", _("Boarded")
    NO_SHOW = "no_show", _("Did not come to the vehicle")
    ARRIVED = "arrived", _("Arrived")
    REMOVED = "removed", _("Removed in transit")
    RETURNED = "returned", _("Returned")


class Traveller(models.Model):
    """One person on an order: the case's person, or one of the intake's family members."""

    order = models.ForeignKey(DepartureOrder, on_delete=models.PROTECT, related_name="travellers")
    family_member = models.ForeignKey(
        "registry.FamilyMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_child = models.BooleanField(default=False)
    # seen wounded at the vehicle door: a category of the manifest's headcounts
    wounded = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=TravellerStatus.choices, default=TravellerStatus.MANIFESTED
    )
    vehicle = models.ForeignKey(
        "Vehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="travellers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(family_member__isnull=True),
                name="one_principal_per_order",
            ),
            models.UniqueConstraint(
                fields=["order", "family_member"],
                condition=models.Q(family_member__isnull=False),
                name="family_member_once_per_order",
            ),
        ]
        indexes = [models.Index(fields=["vehicle", "status"])]

    @property
    def principal(self) -> bool:
        return self.family_member_id is None


class CarriedItem(RowSealedModel):
    """What a traveller may carry under the program's allowance, declared by serial or tag."""

    traveller = models.ForeignKey(Traveller, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16)  # weapon, ammunition, belongings
    heavy = models.BooleanField(default=False)
    # a weapon's serial identifies its holder in an army's register: sealed
    tag = EncryptedTextField(blank=True)


class OrderEvent(RowSealedModel):
    """Who changed an order, when and why. Append-only."""

    order = models.ForeignKey(DepartureOrder, on_delete=models.PROTECT, related_name="events")
    event = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = EncryptedTextField(blank=True)  # free text may name people: sealed
    details = models.JSONField(default=dict)  # keys and counts only

    class Meta:
        ordering = ["at", "id"]


class ConvoyState(models.TextChoices):
    PLANNED = "planned", _("Planned: boarding")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")


class Convoy(models.Model):
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    destination = models.CharField(max_length=60)  # a destination id of the program
    departs_from = models.DateTimeField()
    departs_until = models.DateTimeField()
    assembly_point = models.CharField(max_length=120)
    crossing = models.CharField(max_length=120)
    state = models.CharField(
        max_length=12, choices=ConvoyState.choices, default=ConvoyState.PLANNED
    )
    departed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # where it arrived, when that was not its destination (a deviation)
    arrived_place = models.CharField(max_length=120, blank=True)
    # the receiving side finished scanning: whoever is not accounted for then opens a case
    arrivals_closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(departs_until__gt=models.F("departs_from")),
                name="convoy_window_ordered",
            )
        ]


class VehicleKind(models.TextChoices):
    BUS = "bus", _("Bus")
    AMBULANCE = "ambulance", _("Ambulance")
    CAR = "car", _("Car")
    TRUCK = "truck", _("Truck")


class Vehicle(RowSealedModel):
    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="vehicles")
    number = models.PositiveSmallIntegerField()  # its place in the convoy: 1, 2, ...
    kind = models.CharField(max_length=12, choices=VehicleKind.choices)
    plate = models.CharField(max_length=20)
    seats = models.PositiveSmallIntegerField()
    driver = EncryptedTextField(blank=True)  # a person's name: sealed
    spare = models.BooleanField(default=False)  # an empty emergency vehicle

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["convoy", "number"], name="vehicle_number_unique"),
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="vehicle_has_seats"),
        ]


class Escort(models.Model):
    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="escorts")
    organisation = models.CharField(max_length=120)  # e.g. SARC, ICRC


class IncidentKind(models.TextChoices):
    STOPPED = "stopped", _("Stopped")
    REMOVED = "removed", _("Persons removed")
    RETURNED = "returned", _("Returned")
    STRANDED = "stranded", _("Stranded")
    VEHICLE_LOST = "vehicle_lost", _("Vehicle lost")


class ConvoyEvent(RowSealedModel):
    """What happened to a convoy (departed, an incident, arrived), with who recorded it.
    Append-only; a removal or a return counts persons even when it cannot name them."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="events")
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    event = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)  # persons removed or returned
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    # where, by whom, what was seen: staff free text, sealed
    note = EncryptedTextField(blank=True)
    details = models.JSONField(default=dict)  # keys and counts only

    class Meta:
        ordering = ["at", "id"]


class TravellerEvent(models.Model):
    """A traveller boarded, did not show, arrived, was removed or returned. A device's
    event id makes a retried delivery the same event, never a second one."""

    traveller = models.ForeignKey(Traveller, on_delete=models.PROTECT, related_name="events")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=12)
    device_event_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class SealedManifest(RowSealedModel):
    """Who was on a vehicle when its convoy departed (``sulh.departures.manifest``):
    sealed here, its hash in the log's ``vehicle_departed`` record (leaf ``leaf_index``),
    and a copy encrypted to each enrolled monitor. Never printed or exported in clear
    but through a release approved by a second officer."""

    vehicle = models.OneToOneField(Vehicle, on_delete=models.PROTECT, related_name="manifest")
    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="manifests")
    sha256 = models.CharField(max_length=64)
    leaf_index = models.PositiveBigIntegerField()
    document = EncryptedTextField(min_bucket=1024)  # the manifest's canonical JSON: names
    sealed_at = models.DateTimeField()


class ManifestCopy(models.Model):
    """A sealed manifest encrypted to one monitor (HPKE): only the monitor's key opens it."""

    manifest = models.ForeignKey(SealedManifest, on_delete=models.PROTECT, related_name="copies")
    monitor = models.ForeignKey("keys.MonitorKey", on_delete=models.PROTECT, related_name="+")
    document = models.TextField()  # JSON: clear header (keys, hash) and the ciphertext

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["manifest", "monitor"], name="one_copy_per_monitor")
        ]


class ProtectionCase(models.Model):
    """Someone who boarded and was not accounted for when the receiving side closed its
    arrivals: open until they are found (an arrival scan closes it). Keys only; who they
    are is encrypted to each monitor (``monitor_copies``, HPKE)."""

    traveller = models.OneToOneField(
        Traveller, on_delete=models.PROTECT, related_name="protection_case"
    )
    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="protection_cases")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, default="unaccounted")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_how = models.CharField(max_length=20, blank=True)  # e.g. arrived
    monitor_copies = models.JSONField(default=dict)  # monitor name -> sulh-manifest-copy/1


class ManifestRelease(RowSealedModel):
    """Handing a convoy's manifest (or one vehicle's) to another party: asked by one export
    officer with a purpose and the recipient, approved by a second, written once by the
    first; every step in the audit trail (like ``cases.ExportRequest``)."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = EncryptedTextField()
    purpose = EncryptedTextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
