"""The public proof endpoints answer only against published (signed) tree heads, from the
stored levels, cached and rate limited; nothing they say reveals the live log's size, and
a request they refuse costs no more than one they answer."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sulh.ledger.merkle import leaf_hash, root_from_hashes, verify_consistency, verify_inclusion
from sulh.ledger.models import LedgerHead, LedgerLeaf, LedgerNodes
from sulh.ledger.services import ledger_inclusion_proof, tree_head_sign

pytestmark = pytest.mark.django_db

PUBLISHED, LIVE = 30, 1_037  # a live size no published number, date or hash can match


@pytest.fixture(autouse=True)
def _empty_cache(settings: Any) -> Iterator[None]:
    settings.SULH_RATE_PROOFS = 10_000
    cache.clear()
    yield
    cache.clear()


def _append(count: int) -> None:
    start = LedgerLeaf.objects.count()
    rows = []
    for index in range(start, start + count):
        leaf = json.dumps({"event": "commitment", "n": index}).encode()
        rows.append(LedgerLeaf(index=index, leaf=leaf.decode(), leaf_hash=leaf_hash(leaf).hex()))
    LedgerLeaf.objects.bulk_create(rows)
    LedgerHead.objects.update_or_create(name="default", defaults={"size": start + count})


def _hashes() -> list[bytes]:
    return [bytes.fromhex(h) for h in LedgerLeaf.objects.values_list("leaf_hash", flat=True)]


@pytest.fixture
def published() -> dict[str, Any]:
    """A head of 12 and one of 30 published; then 1,007 more leaves logged, not published."""
    _append(12)
    tree_head_sign()
    _append(PUBLISHED - 12)
    head = tree_head_sign()
    _append(LIVE - PUBLISHED)
    return {"size": head.size, "root_hash": head.root_hash}


def _get(path: str) -> Any:
    return Client().get(path)


def test_proofs_default_to_the_latest_published_head_and_verify(published):
    assert published["size"] == PUBLISHED
    root = bytes.fromhex(published["root_hash"])
    assert root == root_from_hashes(_hashes()[:PUBLISHED])
    answer = _get("/api/ledger/proof/inclusion?index=17").json()
    assert answer["tree_size"] == PUBLISHED and answer["root_hash"] == published["root_hash"]
    assert answer["leaf"] == LedgerLeaf.objects.get(index=17).leaf  # the leaf's text
    proof = [bytes.fromhex(h) for h in answer["proof"]]
    assert verify_inclusion(leaf_hash(answer["leaf"].encode()), 17, PUBLISHED, proof, root)

    grown = _get("/api/ledger/proof/consistency?old=12").json()
    assert grown["tree_size"] == PUBLISHED and grown["root_hash"] == published["root_hash"]
    old_root = bytes.fromhex(grown["old_root_hash"])
    assert old_root == root_from_hashes(_hashes()[:12])
    proof = [bytes.fromhex(h) for h in grown["proof"]]
    assert verify_consistency(12, PUBLISHED, old_root, root, proof)

    earlier = _get("/api/ledger/proof/inclusion?index=5&size=12").json()
    assert earlier["tree_size"] == 12
    assert earlier["root_hash"] == root_from_hashes(_hashes()[:12]).hex()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/ledger/proof/inclusion?index=3&size={LIVE}", "size"),
        ("/api/ledger/proof/inclusion?index=3&size=20", "size"),
        (f"/api/ledger/proof/consistency?old=12&size={LIVE}", "size"),
        (f"/api/ledger/proof/inclusion?index={PUBLISHED}", "index"),
        (f"/api/ledger/proof/inclusion?index={LIVE - 1}", "index"),
        ("/api/ledger/proof/inclusion?index=-1", "index"),
        ("/api/ledger/proof/inclusion?index=12&size=12", "index"),
        (f"/api/ledger/proof/consistency?old={PUBLISHED + 1}", "old"),
        ("/api/ledger/proof/consistency?old=0", "old"),
    ],
)
def test_a_size_or_index_beyond_the_published_heads_is_refused_naming_the_field(
    published, path, field
):
    answer = _get(path)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == field
    assert "published" in error["message"]


def _numbers(value: Any) -> Iterator[str]:
    """Every number a JSON answer says, in a value or inside a text."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in {"timestamp", "signature"}:  # a time and base64, not counts
                yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        yield str(value)
    elif isinstance(value, str):
        yield from re.findall(r"\b\d+\b", value)


def test_the_live_size_appears_in_no_answer_nor_error(published):
    paths = [
        "/api/ledger/tree-head",
        "/api/ledger/proof/inclusion?index=0",
        f"/api/ledger/proof/inclusion?index={PUBLISHED - 1}",
        f"/api/ledger/proof/inclusion?index={PUBLISHED}",
        f"/api/ledger/proof/inclusion?index={LIVE}",
        "/api/ledger/proof/inclusion?index=99999",
        f"/api/ledger/proof/inclusion?index=0&size={LIVE}",
        f"/api/ledger/proof/inclusion?index=0&size={LIVE - 1}",
        "/api/ledger/proof/consistency?old=1",
        f"/api/ledger/proof/consistency?old={LIVE}",
        f"/api/ledger/proof/consistency?old=1&size={LIVE}",
        "/api/ledger/proof/consistency?old=99999",
    ]
    said = set()
    for path in paths:
        answer = _get(path)
        assert answer.status_code in {200, 422}, path
        said |= set(_numbers(answer.json()))
    assert str(PUBLISHED) in said  # the published size is public
    assert str(LIVE) not in said and str(LIVE - 1) not in said


def _costs(path: str, times: int = 15) -> tuple[list[str], float]:
    """The queries of the first request and the median seconds of ``times`` more."""
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        client.get(path)
        seconds.append(time.perf_counter() - started)
    return [q["sql"] for q in queries.captured_queries], statistics.median(seconds or [0.0])


def _scans(queries: list[str]) -> list[str]:
    """Queries on the leaves or the levels that no index bounds (a count, a whole read)."""
    return [
        sql
        for sql in queries
        if re.search(r'"ledger_ledger(leaf|nodes)"', sql)
        and ("COUNT(" in sql.upper() or "WHERE" not in sql.upper())
    ]


def test_a_refused_request_costs_no_more_than_an_answered_one(published):
    _append(3000)  # a longer live log: a scan of it would show
    tree_head_sign()
    valid, valid_seconds = _costs("/api/ledger/proof/inclusion?index=1500")
    wrong_size, wrong_size_seconds = _costs("/api/ledger/proof/inclusion?index=1&size=2999")
    wrong_index, wrong_index_seconds = _costs("/api/ledger/proof/inclusion?index=999999")
    wrong_old, wrong_old_seconds = _costs("/api/ledger/proof/consistency?old=999999")
    fresh, _ = _costs("/api/ledger/proof/consistency?old=777", times=0)
    for queries in (valid, wrong_size, wrong_index, wrong_old, fresh):
        assert not _scans(queries)
    for queries in (wrong_size, wrong_index, wrong_old):
        assert len(queries) <= len(valid)
        assert not [sql for sql in queries if "ledger_ledgernodes" in sql]
    assert len(valid) <= 12 and len(fresh) <= 12  # the rate limit's, the head, leaf, nodes
    for seconds in (wrong_size_seconds, wrong_index_seconds, wrong_old_seconds):
        assert seconds <= 1.5 * valid_seconds + 0.002


def test_a_proof_is_computed_once_then_served_from_the_cache(published):
    first, _ = _costs("/api/ledger/proof/inclusion?index=7", times=0)
    again, _ = _costs("/api/ledger/proof/inclusion?index=7", times=0)
    assert [sql for sql in first if "ledger_ledgernodes" in sql]
    assert not [sql for sql in again if "ledger_ledgernodes" in sql or "ledger_ledgerleaf" in sql]
    assert len(again) < len(first)
    # Keyed by the head's root too: the same numbers over another log are computed afresh.
    cached = ledger_inclusion_proof(index=7)
    LedgerLeaf.objects.all().delete()
    LedgerNodes.objects.all().delete()
    _append(PUBLISHED)  # the same size again, one leaf other (a log reset and rebuilt)
    LedgerLeaf.objects.filter(index=7).update(leaf='{"event":"other"}', leaf_hash="00" * 32)
    tree_head_sign()
    assert ledger_inclusion_proof(index=7)["leaf"] == '{"event":"other"}' != cached["leaf"]


def test_the_three_endpoints_answer_429_with_the_limit_named(published, settings):
    settings.SULH_RATE_PROOFS = 3
    paths = [
        "/api/ledger/tree-head",
        "/api/ledger/proof/inclusion?index=0",
        "/api/ledger/proof/consistency?old=1",
    ]
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert [client.get(path).status_code for path in paths] == [200, 200, 200]
    for path in paths:
        refused = client.get(path)
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        message = refused.json()["error"]["message"]
        assert "too many tree head and proof requests" in message and "at most 3 in" in message
    assert Client(REMOTE_ADDR="198.51.100.8").get(paths[1]).status_code == 200
