"""Red team (issue 17), further attacks on the public tier. A test marked ATTACK-SUCCEEDS
fails on the code as it is: it demonstrates a leak that is still open."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from tests.clients import device_client
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


def test_an_inclusion_proof_does_not_reveal_the_live_size(personas, programs, client):
    """Found by the attacker (before proofs were served against published heads only): after
    a head of size N and one registration, GET /api/ledger/proof/inclusion?index=N answered
    200 with "tree_size": N+1, the unpublished leaf and the live root."""
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


def test_a_corridor_tally_answer_does_not_reveal_the_live_log(personas, programs):
    """Found by the attacker: the tally's answer gave its leaf's live index, so two tallies
    around a registration told a coordinator how many events were logged in between."""
    _published(personas)
    coordinator = device_client(personas["coordinator"], scopes=["tallies"])
    url = f"/api/programs/{PROGRAM}/corridor-tallies"
    answers = []
    for count in (40, 41):
        body = {"point": "alp1", "day": "2016-08-10", "count": count}
        answer = coordinator.post(url, data=json.dumps(body), content_type="application/json")
        assert answer.status_code == 201
        answers.append(answer.json())
        _register(personas)
    for answer in answers:
        assert set(answer) == {"program", "point", "day", "count"}
