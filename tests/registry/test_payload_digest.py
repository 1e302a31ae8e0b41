"""The stored digest of a submission is keyed: a database thief who knows a person cannot
confirm which intake is theirs, nor recover its sealed category, affiliation or origin,
by hashing the candidate submissions (finding of the second red-team review)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json

import pytest

from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.registry.models import Intake
from sulh.registry.schemas import IntakeIn
from sulh.registry.services import idempotency_key_index
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _bare_hash(payload: dict) -> str:
    canonical = json.dumps(
        parse(IntakeIn, payload).model_dump(mode="json"), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_hashing_candidate_submissions_confirms_nothing(personas, programs):
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    stored = Intake.objects.get(
        idempotency_key=idempotency_key_index(payload["idempotency_key"])
    ).payload_sha256
    # the thief knows the person and the key (in clear) and tries every small value set
    tries = {
        _bare_hash({**payload, "origin": origin, "pledge": {**payload["pledge"], "language": lang}})
        for origin, lang in itertools.product(("local", "non_local"), ("ar", "en"))
    }
    assert _bare_hash(payload) in tries and stored not in tries


def test_a_submission_stored_under_the_old_bare_hash_is_still_recognised(personas, programs):
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    first = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    Intake.objects.filter(pk=first.case.intake.pk).update(payload_sha256=_bare_hash(payload))
    again = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    assert again.case.pk == first.case.pk and Intake.objects.count() == 1


def test_the_idempotency_key_a_device_chose_is_not_stored(personas, programs):
    """Third red-team review: the client-chosen key (8 to 64 free characters) was stored in
    clear beside the intake; a misbehaving device could write a name there."""
    from django.db import connection

    payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN)
    payload["idempotency_key"] = "Samer.Darwish.1988"  # what a careless device might send
    intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    with connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_key FROM registry_intake")
        [(stored,)] = cursor.fetchall()
    assert "Samer" not in stored and len(stored) == 64
    again = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)
    assert again.created is False  # a retry is still recognised
