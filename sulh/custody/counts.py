"""Counts of a store: a weekly sample of at least 10 % of its items and a six-monthly full
count (the program's ``CountSettings`` may ask for more), by an officer who is not the
store's custodian.

The sample is drawn when the count opens, from a seed fixed then: the latest signed tree
head (its signature is randomised, so nobody knows it before it is published) and a nonce
drawn at opening, with the store and the count. The head binds the draw to a public time;
the nonce makes it unknowable to a custodian who read today's head. The counter is told
the locations to count, never the items expected there (a blind count), scans or types
each tag where it is, and sees results only once the count closes: found, missing,
unexpected, wrong location, duplicate scan. Missing items open an incident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require, require_not_custodian
from sulh.audit.services import audit_record
from sulh.core.errors import Conflict, ValidationFailed
from sulh.custody.models import (
    Count,
    CountKind,
    CountScan,
    CountSettings,
    CountState,
    CustodyEvent,
    EventKind,
    Incident,
    IncidentKind,
    Item,
    ItemState,
    Store,
    Tag,
)
from sulh.custody.services import (
    incident_open,
    items_locked,
    served_check,
    tag_number_of,
    text_clean,
)
from sulh.ledger.models import TreeHead

SEED_VERSION = "sulh-count-seed/1"
UNASSIGNED = ""  # an item with no location recorded: counted where the counter finds it


def count_settings(program_id: int) -> CountSettings:
    found = CountSettings.objects.filter(program_id=program_id).first()
    return found or CountSettings(program_id=program_id)


def count_seed(*, head: TreeHead, nonce: str, store: Store, count_id: int) -> str:
    """The seed of a count's sample; anyone with the head, the nonce and the ids redraws it."""
    material = "|".join(
        (
            SEED_VERSION,
            str(head.size),
            head.root_hash,
            head.signature,
            nonce,
            store.code,
            str(count_id),
        )
    )
    return hashlib.sha256(material.encode()).hexdigest()


def sample_draw(*, seed: str, item_ids: Sequence[int], percent: int, full: bool) -> list[int]:
    """Every item for a full count; else ``percent`` % of them (at least one), drawn by a
    generator seeded with ``seed`` over the items in id order."""
    ordered = sorted(item_ids)
    if full or not ordered:
        return ordered
    size = min(len(ordered), max(1, math.ceil(len(ordered) * percent / 100)))
    return sorted(random.Random(int(seed, 16)).sample(ordered, size))


def count_open(*, store: Store, user: User, kind: str) -> Count:
    """Open a count of ``store``: the seed is fixed and the sample drawn now."""
    require(user, Action.COUNT_STORE)
    require_not_custodian(user, Action.COUNT_STORE, custodian=store.custodian_id)
    served_check(user, store)
    if kind not in CountKind.values:
        raise ValidationFailed(f"must be one of {', '.join(CountKind.values)}", field="kind")
    head = TreeHead.objects.order_by("-pk").first()
    if head is None:
        raise Conflict(
            "no signed tree head yet: publish one (sulh ledger publish)", field="tree_head"
        )
    settings = count_settings(store.program_id)
    with transaction.atomic():
        held = dict(
            Item.objects.filter(
                store=store, state=ItemState.IN_STORE, tag__isnull=False
            ).values_list("pk", "location")
        )
        try:
            with transaction.atomic():
                count = Count.objects.create(
                    store=store,
                    kind=kind,
                    opened_by=user,
                    opened_at=timezone.now(),
                    head=head,
                    nonce=secrets.token_hex(16),
                    seed="",
                )
        except IntegrityError:
            raise Conflict("this store is being counted already", field="store") from None
        count.seed = count_seed(head=head, nonce=count.nonce, store=store, count_id=count.pk)
        count.sample = sample_draw(
            seed=count.seed,
            item_ids=list(held),
            percent=settings.sample_percent,
            full=kind == CountKind.FULL,
        )
        count.locations = sorted({held[item_id] for item_id in count.sample})
        count.save(update_fields=["seed", "sample", "locations"])
    return count


@dataclass(frozen=True)
class ScanTaken:
    """What the counter is told after a scan: that it was recorded; never whether it was
    expected."""

    tag: str
    location: str


def _open_count(count: Count) -> Count:
    count = Count.objects.select_for_update().select_related("store").get(pk=count.pk)
    if count.state != CountState.OPEN:
        raise Conflict("this count is closed", field="count")
    return count


def count_scan(*, count: Count, user: User, tag: str, location: str) -> ScanTaken:
    """One tag scanned (its code) or typed (its number) where the counter found it. A tag
    already scanned into this count is refused and kept aside as a duplicate scan."""
    require(user, Action.COUNT_STORE)
    number = text_clean(tag_number_of(tag), field="tag", required=True, most=40)
    location = text_clean(location, field="location")
    refused: ValidationFailed | None = None
    with transaction.atomic():
        count = _open_count(count)
        if count.opened_by_id != user.pk:
            raise Conflict("only the officer who opened this count records it", field="count")
        if CountScan.objects.filter(count=count, tag=number, refused_as_duplicate=False).exists():
            CountScan.objects.create(
                count=count,
                tag=number,
                location=location,
                scanned_at=timezone.now(),
                refused_as_duplicate=True,
            )
            refused = ValidationFailed(
                "was scanned into this count already", field="tag", code="duplicate_scan"
            )
        else:
            found = Tag.objects.filter(number=number).values_list("item_id", flat=True).first()
            CountScan.objects.create(
                count=count, tag=number, item_id=found, location=location, scanned_at=timezone.now()
            )
    if refused is not None:
        raise refused
    return ScanTaken(tag=number, location=location)


@dataclass
class CountResults:
    found: list[str]
    missing: list[str]
    unexpected: list[str]
    wrong_location: list[str]
    duplicate_scan: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {
            name: sorted(getattr(self, name))
            for name in ("found", "missing", "unexpected", "wrong_location", "duplicate_scan")
        }


def count_reconcile(count: Count) -> CountResults:
    """The results of ``count``'s scans against the ledger (pure reads)."""
    scans = list(
        CountScan.objects.filter(count=count).values_list(
            "tag", "item_id", "location", "refused_as_duplicate"
        )
    )
    held = {
        pk: (loc, number)
        for pk, loc, number in Item.objects.filter(
            store=count.store, state=ItemState.IN_STORE
        ).values_list("pk", "location", "tag__number")
    }
    results = CountResults([], [], [], [], [])
    seen: set[int] = set()
    for number, item_id, location, duplicate in scans:
        if duplicate:
            results.duplicate_scan.append(number)
        elif item_id not in held:
            results.unexpected.append(number)
        else:
            seen.add(item_id)
            right = held[item_id][0] in (location, UNASSIGNED)
            (results.found if right else results.wrong_location).append(number)
    results.missing = [
        held[pk][1] or f"item {pk}" for pk in count.sample if pk in held and pk not in seen
    ]
    return results


def count_close(*, count: Count, user: User) -> CountResults:
    """Close the count: each item found gets ``counted``, each found elsewhere or missing
    a ``discrepancy``; the missing ones open an incident in the same transaction."""
    require(user, Action.COUNT_STORE)
    with transaction.atomic():
        count = _open_count(count)
        if count.opened_by_id != user.pk:
            raise Conflict("only the officer who opened this count closes it", field="count")
        results = count_reconcile(count)
        count.state, count.closed_at = CountState.CLOSED, timezone.now()
        count.results = results.as_dict()
        count.save(update_fields=["state", "closed_at", "results"])
        _count_entries(count, results, user=user)
    return results


def _count_entries(count: Count, results: CountResults, *, user: User) -> None:
    numbers = {*results.found, *results.wrong_location, *results.missing}
    by_number = dict(Tag.objects.filter(number__in=numbers).values_list("number", "item_id"))
    missing = items_locked([by_number[n] for n in results.missing if n in by_number])
    incident = None
    if missing:
        incident = incident_open(
            kind=IncidentKind.COUNT_MISSING,
            store=count.store,
            user=user,
            items=missing,
            count=count,
            details={"tags": sorted(results.missing)},
        )
    now = timezone.now()
    entries: list[tuple[str, str, Incident | None]] = [
        (EventKind.COUNTED, n, None) for n in results.found
    ]
    entries += [(EventKind.DISCREPANCY, n, None) for n in results.wrong_location]
    entries += [(EventKind.DISCREPANCY, n, incident) for n in results.missing if n in by_number]
    # locked as items_locked does, reading only what an entry needs (no sealed column)
    locked = {
        pk: Held(pk, state, store_id, location)
        for pk, state, store_id, location in Item.objects.select_for_update()
        .filter(pk__in={by_number[n] for _k, n, _i in entries})
        .order_by("pk")
        .values_list("pk", "state", "store_id", "location")
    }
    # a count's entries move nothing: written at once, with one audit entry for the count
    CustodyEvent.objects.bulk_create(
        [
            _count_entry(
                locked[by_number[number]], kind, count=count, user=user, at=now, incident=linked
            )
            for kind, number, linked in entries
        ]
    )
    audit_record(
        actor=user,
        action="custody.count_closed",
        obj_type="custody_count",
        obj_id=str(count.pk),
        details={name: len(listed) for name, listed in results.as_dict().items()},
    )


@dataclass(frozen=True)
class Held:
    pk: int
    state: str
    store_id: int
    location: str


def _count_entry(
    item: Held, kind: str, *, count: Count, user: User, at: dt.datetime, incident: Incident | None
) -> CustodyEvent:
    return CustodyEvent(
        item_id=item.pk,
        kind=kind,
        at=at,
        recorded_at=at,
        actor_id=user.pk,
        store_id=item.store_id,
        location=item.location,
        count_id=count.pk,
        incident=incident,
        state_before=item.state,
        store_before_id=item.store_id,
        location_before=item.location,
    )


@dataclass(frozen=True)
class CountDue:
    kind: str
    last_closed_at: dt.datetime | None
    due_at: dt.datetime
    overdue: bool


def counts_due(*, store: Store, now: dt.datetime | None = None) -> list[CountDue]:
    """When each kind of count of ``store`` is next due, and whether it is overdue."""
    now = now or timezone.now()
    settings = count_settings(store.program_id)
    every = {CountKind.SAMPLE: settings.sample_every_days, CountKind.FULL: settings.full_every_days}
    due = []
    for kind, days in every.items():
        # a full count also counts as the week's sample
        kinds = [kind] if kind == CountKind.FULL else [CountKind.SAMPLE, CountKind.FULL]
        last = (
            Count.objects.filter(store=store, kind__in=kinds, state=CountState.CLOSED)
            .order_by("-closed_at")
            .values_list("closed_at", flat=True)
            .first()
        )
        due_at = (last or store.created_at) + dt.timedelta(days=days)
        due.append(CountDue(kind, last, due_at, now > due_at))
    return due
