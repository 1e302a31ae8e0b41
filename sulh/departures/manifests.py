"""The manifest: per vehicle, its orders and headcounts by category; at departure, the
full list sealed, its hash in the transparency log, a copy encrypted to each enrolled
monitor; handing a list to another party as a release two export officers approve.

Headcounts by category: ``fighters`` (the cases' own persons, adults), ``family_members``
(adults travelling on someone's order), ``children`` (anyone under 18, the person or a
family member): the three add up to the travellers; ``wounded`` are among them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require, require_same_officer, require_second_officer
from sulh.audit.services import audit_record
from sulh.cases.selectors import program_served_check
from sulh.core.errors import Conflict, NotFound, ValidationFailed
from sulh.core.validation import reason_clean
from sulh.departures.manifest import copy_header, copy_seal, manifest_document, manifest_sha256
from sulh.departures.models import (
    Convoy,
    ManifestCopy,
    ManifestRelease,
    SealedManifest,
    Traveller,
    TravellerStatus,
    Vehicle,
)
from sulh.departures.services import BOARDED_ANY, text_clean
from sulh.keys.models import MonitorKey
from sulh.keys.signing import canonical
from sulh.ledger.services import ledger_append_record, ledger_openings

CATEGORIES = ("fighters", "family_members", "children", "wounded")
ON_MANIFEST = (
    TravellerStatus.MANIFESTED,
    TravellerStatus.BOARDED,
    TravellerStatus.NO_SHOW,
    TravellerStatus.ARRIVED,
    TravellerStatus.REMOVED,
    TravellerStatus.RETURNED,
)


def category_of(traveller: Traveller) -> str:
    if traveller.is_child:
        return "children"
    return "fighters" if traveller.family_member_id is None else "family_members"


def headcount(travellers: list[Traveller]) -> dict[str, int]:
    counts = dict.fromkeys(CATEGORIES, 0)
    for traveller in travellers:
        counts[category_of(traveller)] += 1
        counts["wounded"] += traveller.wounded
    return counts


@dataclass
class VehicleManifest:
    number: int
    orders: list[int] = field(default_factory=list)  # keys
    placed: dict[str, int] = field(default_factory=dict)  # headcounts by category
    boarded: dict[str, int] = field(default_factory=dict)


def vehicle_manifests(*, convoy: Convoy) -> list[VehicleManifest]:
    """Per vehicle, in order: the orders on it and the headcounts by category of those
    placed on it and of those who boarded. Keys and counts only."""
    travellers: dict[int, list[Traveller]] = defaultdict(list)
    rows = Traveller.objects.filter(vehicle__convoy=convoy, status__in=ON_MANIFEST).only(
        "vehicle_id", "order_id", "family_member_id", "is_child", "wounded", "status"
    )
    for traveller in rows:
        assert traveller.vehicle_id is not None
        travellers[traveller.vehicle_id].append(traveller)
    result = []
    for vehicle_id, number in convoy.vehicles.order_by("number").values_list("pk", "number"):
        on = travellers.get(vehicle_id, [])
        result.append(
            VehicleManifest(
                number=number,
                orders=sorted({t.order_id for t in on}),
                placed=headcount(on),
                boarded=headcount([t for t in on if t.status in BOARDED_ANY]),
            )
        )
    return result


# --- Sealed at departure ---------------------------------------------------------------------


def _entry(traveller: Traveller) -> dict[str, Any]:
    """One line of the manifest: who the traveller is, as the intake recorded them."""
    order = traveller.order
    member = traveller.family_member
    if member is None:
        person = order.case.intake.person
        names = (
            " ".join(p for p in (person.given_name_ar, person.father_name_ar,
                                 person.family_name_ar) if p),
            " ".join(p for p in (person.given_name_lat, person.father_name_lat,
                                 person.family_name_lat) if p),
        )  # fmt: skip
        relation, sex, birth = "person", person.sex, person.birth_date
    else:
        names = (member.name_ar, member.name_lat)
        relation, sex, birth = member.relation, member.sex, member.birth_year
    return {
        "traveller": traveller.pk,
        "order": order.pk,
        "serial": order.case.intake.serial,
        "relation": relation,
        "name_ar": names[0],
        "name_lat": names[1],
        "sex": sex,
        "birth": birth,
        "child": traveller.is_child,
        "wounded": traveller.wounded,
        "status": "boarded" if traveller.status in BOARDED_ANY else "no_show",
    }


def _departure_record(
    convoy: Convoy, *, event: str, at: dt.datetime, **counts: int | str
) -> dict[str, Any]:
    return {
        "event": event,
        "program": convoy.program.code,
        "day": at.date().isoformat(),
        "convoy": convoy.pk,
        **counts,
    }


def manifests_seal(*, convoy: Convoy, at: dt.datetime) -> list[SealedManifest]:
    """At departure (inside ``convoy_depart``'s transaction, the convoy locked): each
    vehicle's manifest sealed, its counts and hash appended to the log, a copy encrypted
    to each enrolled monitor; then the convoy's own record (orders, vehicles)."""
    travellers: dict[int, list[Traveller]] = defaultdict(list)
    rows = (
        Traveller.objects.filter(vehicle__convoy=convoy, status__in=ON_MANIFEST)
        .select_related("order__case__intake__person", "family_member")
        .order_by("pk")
    )
    for traveller in rows:
        assert traveller.vehicle_id is not None
        travellers[traveller.vehicle_id].append(traveller)
    monitors = list(MonitorKey.objects.order_by("pk"))
    sealed = []
    orders: set[int] = set()
    for vehicle in convoy.vehicles.order_by("number"):
        on = travellers.get(vehicle.pk, [])
        if not on:
            continue  # a spare, or a vehicle left empty: nothing to seal
        orders.update(t.order_id for t in on)
        sealed.append(_vehicle_seal(convoy, vehicle, on, at=at, monitors=monitors))
    aboard = [t for on in travellers.values() for t in on if t.status in BOARDED_ANY]
    ledger_append_record(
        _departure_record(
            convoy,
            event="convoy_departed",
            at=at,
            destination=convoy.destination,
            vehicles=len(sealed),
            orders=len(orders),
            **headcount(aboard),
        )
    )
    return sealed


def _vehicle_seal(
    convoy: Convoy,
    vehicle: Vehicle,
    on: list[Traveller],
    *,
    at: dt.datetime,
    monitors: list[MonitorKey],
) -> SealedManifest:
    document = manifest_document(
        program=convoy.program.code,
        convoy=convoy.pk,
        vehicle=vehicle.number,
        plate=vehicle.plate,
        destination=convoy.destination,
        departed_at=at.astimezone(dt.UTC).isoformat(),
        travellers=[_entry(t) for t in on],
    )
    digest = manifest_sha256(document)
    boarded = [t for t in on if t.status in BOARDED_ANY]
    leaf = ledger_append_record(
        _departure_record(
            convoy,
            event="vehicle_departed",
            at=at,
            vehicle=vehicle.number,
            manifested=len(on),
            boarded=len(boarded),
            no_show=len(on) - len(boarded),
            manifest=digest,
            **headcount(boarded),
        )
    )
    manifest = SealedManifest.objects.create(
        vehicle=vehicle,
        convoy=convoy,
        sha256=digest,
        leaf_index=leaf.index,
        document=canonical(document).decode(),
        sealed_at=timezone.now(),
    )
    for monitor in monitors:
        _copy_make(manifest, monitor, document=document)
    return manifest


def manifest_opening(manifest: SealedManifest) -> dict[str, Any]:
    opened = ledger_openings(first=manifest.leaf_index, size=manifest.leaf_index + 1)[0]
    assert opened is not None
    return {"record": opened["record"], "salt": opened["salt"]}


def manifest_sealed_to(
    manifest: SealedManifest, monitor: MonitorKey, *, document: dict[str, Any]
) -> dict[str, Any]:
    """``document`` (the manifest, or a part of it) with the opening of the manifest's log
    leaf, encrypted to ``monitor``: a ``sulh-manifest-copy/1``."""
    header = copy_header(
        monitor=monitor.name,
        convoy=manifest.convoy_id,
        vehicle=document["vehicle"],
        leaf_index=manifest.leaf_index,
        sha256=manifest.sha256,
    )
    return copy_seal(
        header=header,
        manifest=document,
        opening=manifest_opening(manifest),
        monitor_public=monitor.public_document(),
    )


def _copy_make(
    manifest: SealedManifest, monitor: MonitorKey, *, document: dict[str, Any] | None = None
) -> ManifestCopy:
    sealed = manifest_sealed_to(
        manifest, monitor, document=document or json.loads(manifest.document)
    )
    return ManifestCopy.objects.create(
        manifest=manifest, monitor=monitor, document=json.dumps(sealed, sort_keys=True)
    )


def manifest_copies(*, monitor: str) -> list[dict[str, Any]]:
    """Every sealed manifest's copy for the enrolled ``monitor`` (made now for the
    manifests sealed before it was enrolled): what ``sulh departures manifest-copies``
    writes for the monitor to take away. Ciphertext and keys only."""
    key = MonitorKey.objects.filter(name=monitor).first()
    if key is None:
        raise NotFound(f"no enrolled monitor named {monitor!r}", field="monitor")
    with transaction.atomic():
        have = set(ManifestCopy.objects.filter(monitor=key).values_list("manifest_id", flat=True))
        for manifest in SealedManifest.objects.exclude(pk__in=have).order_by("pk"):
            _copy_make(manifest, key)
    copies = ManifestCopy.objects.filter(monitor=key).order_by("manifest_id")
    return [json.loads(c.document) for c in copies]


# --- Release to another party: four eyes -----------------------------------------------------


def release_request(
    *, user: User, convoy: Convoy, recipient: str, purpose: str, vehicle: Vehicle | None = None
) -> ManifestRelease:
    """An export officer asks to hand the convoy's sealed manifest (or one vehicle's) to
    ``recipient``, saying why; a second officer approves."""
    require(user, Action.REQUEST_EXPORT)
    program_served_check(user=user, program_id=convoy.program_id, field="convoy")
    recipient = text_clean(recipient, field="recipient")
    purpose = (purpose or "").strip()
    if len(purpose) < 10:
        raise ValidationFailed("say what the list is for (at least 10 characters)", field="purpose")
    purpose = reason_clean(purpose, required=True)
    if vehicle is not None and vehicle.convoy_id != convoy.pk:
        raise ValidationFailed("is a vehicle of another convoy", field="vehicle")
    if not SealedManifest.objects.filter(convoy=convoy).exists():
        raise Conflict("the convoy has not departed: no manifest is sealed", field="convoy")
    if vehicle is not None and not SealedManifest.objects.filter(vehicle=vehicle).exists():
        raise ValidationFailed("no manifest is sealed for this vehicle", field="vehicle")
    with transaction.atomic():
        release = ManifestRelease.objects.create(
            convoy=convoy,
            vehicle=vehicle,
            recipient=recipient,
            purpose=purpose,
            requested_by=user,
            requested_at=timezone.now(),
        )
        audit_record(
            actor=user, action="manifest_release_requested", obj_type="manifest_release",
            obj_id=str(release.pk), purpose=purpose[:300],
            details={"convoy": convoy.pk, **({"vehicle": vehicle.number} if vehicle else {})},
        )  # fmt: skip
    return release


def release_approve(*, release: ManifestRelease, user: User) -> ManifestRelease:
    """A second export officer, not the one who asked, approves the release."""
    require(user, Action.APPROVE_EXPORT)
    with transaction.atomic():
        release = ManifestRelease.objects.select_for_update().get(pk=release.pk)
        program_served_check(user=user, program_id=release.convoy.program_id, field="convoy")
        require_second_officer(user, Action.APPROVE_EXPORT, first=release.requested_by_id)
        if release.approved_at is not None:
            raise Conflict("this release is already approved", field="release")
        release.approved_by, release.approved_at = user, timezone.now()
        release.save(update_fields=["approved_by", "approved_at"])
        audit_record(
            actor=user,
            action="manifest_release_approved",
            obj_type="manifest_release",
            obj_id=str(release.pk),
        )
    return release


def release_write(*, release: ManifestRelease, user: User) -> list[dict[str, Any]]:
    """The sealed manifests, opened, once, for the officer who asked, after approval."""
    require(user, Action.WRITE_EXPORT)
    with transaction.atomic():
        release = ManifestRelease.objects.select_for_update().get(pk=release.pk)
        require_same_officer(user, Action.WRITE_EXPORT, first=release.requested_by_id)
        if release.approved_at is None:
            raise Conflict("a second officer has not approved this release yet", field="release")
        if release.written_at is not None:
            raise Conflict("this release was already written: ask again", field="release")
        manifests = SealedManifest.objects.filter(convoy_id=release.convoy_id)
        if release.vehicle_id is not None:
            manifests = manifests.filter(vehicle_id=release.vehicle_id)
        documents = [json.loads(m.document) for m in manifests.order_by("vehicle__number")]
        release.written_at = timezone.now()
        release.save(update_fields=["written_at"])
        audit_record(
            actor=user, action="manifest_release_written", obj_type="manifest_release",
            obj_id=str(release.pk),
            details={"vehicles": len(documents),
                     "travellers": sum(len(d["travellers"]) for d in documents)},
        )  # fmt: skip
    return documents
