"""Red team (issue 17), further attacks on the public tier. A test marked ATTACK-SUCCEEDS
fails on the code as it is: it demonstrates a leak that is still open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger import services as ledger_services
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _register(personas, n=1):
    for _ in range(n):
        payload = make_intake(PROGRAM, submitted_at=WHEN)
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN)


def _published(personas):
    _register(personas, 6)
    assert main(["ledger", "publish", "--force"]) == 0


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="ATTACK-SUCCEEDS: the inclusion proof serves the live log",
)
def test_ATTACK_SUCCEEDS_an_inclusion_proof_reveals_the_live_size(personas, programs, client):
    """Found: after a head of size N and one registration, an anonymous
    GET /api/ledger/proof/inclusion?index=N answers 200 with "tree_size": N+1, the unpublished
    leaf and the live root: a watcher learns that a registration happened just now."""
    _published(personas)
    size = client.get("/api/ledger/tree-head").json()["size"]
    _register(personas)  # a registration just now, not yet published
    assert client.get("/api/ledger/tree-head").json()["size"] == size
    live = client.get(f"/api/ledger/proof/inclusion?index={size}")
    beyond = client.get(f"/api/ledger/proof/inclusion?index={size + 10_000}")
    assert (live.status_code, live.content) == (beyond.status_code, beyond.content)
    live = client.get(f"/api/ledger/proof/consistency?old=1&size={size + 1}")
    beyond = client.get(f"/api/ledger/proof/consistency?old=1&size={size + 10_000}")
    assert (live.status_code, live.content) == (beyond.status_code, beyond.content)


def test_an_invalid_proof_request_costs_no_more_queries_than_a_valid_one(
    personas, programs, client
):
    _published(personas)
    size = client.get("/api/ledger/tree-head").json()["size"]
    client.get("/api/ledger/proof/inclusion?index=0")  # warm any cache
    with CaptureQueriesContext(connection) as valid:
        assert client.get(f"/api/ledger/proof/inclusion?index={size - 1}").status_code == 200
    with CaptureQueriesContext(connection) as invalid:
        client.get(f"/api/ledger/proof/inclusion?index={size + 5}")
    assert len(invalid) <= len(valid)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="ATTACK-SUCCEEDS: a tally's answer gives the live index",
)
def test_ATTACK_SUCCEEDS_a_corridor_tally_reveals_a_registration_just_now(personas, programs):
    """The corridor tally (an evacuation coordinator, who sees no registration figures) is
    answered with its leaf's live index: two tallies around a registration at any station of
    any program tell the coordinator, in real time and before any publication, how many
    events were logged in between (here: exactly one registration's worth)."""
    _published(personas)
    user = personas["coordinator"]
    day = dt.date(2016, 8, 10)
    first = ledger_services.corridor_tally_record(
        program_code=PROGRAM, point="alp1", day=day, count=40, user=user
    ).index
    _register(personas)
    second = ledger_services.corridor_tally_record(
        program_code=PROGRAM, point="alp1", day=day, count=41, user=user
    ).index
    # what the attack learns; the assertion states the property that should hold
    assert second - first == 1, f"{second - first - 1} events logged between the two tallies"
