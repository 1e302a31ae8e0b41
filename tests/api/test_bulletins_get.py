"""GET /api/bulletins/{code}: the exact figures for managers, the published ones for
monitors; POST .../attestations: a monitor's signed attestation."""

from __future__ import annotations

import json

import pytest

from sulh.cli import main
from tests.api.conftest import PROGRAM, _client
from tests.ledger.test_monitor import _day, enrol, monitor_keys, publish

pytestmark = pytest.mark.django_db


def test_figures_are_for_managers_and_monitors(personas, programs):
    assert _client(personas["clerk"]).get(f"/api/bulletins/{PROGRAM}").status_code == 403
    exact = _client(personas["manager"]).get(f"/api/bulletins/{PROGRAM}").json()
    assert exact["kind"] == "exact" and exact["figures"]["registered"] == 0
    published = _client(personas["monitor"]).get(f"/api/bulletins/{PROGRAM}").json()
    assert published == {"kind": "published", "bulletin": None, "attestations": []}


def test_a_monitor_records_an_attestation_and_reads_it_back(personas, programs, tmp_path):
    keys = monitor_keys(tmp_path / "monitor")
    enrol(keys)
    _day(personas, 10, 8)
    site = publish(tmp_path / "site")
    out = tmp_path / "attestation.json"
    assert main([
        "monitor", "attest", "--bulletin", str(site / f"bulletin-{PROGRAM}.json"),
        "--leaves", str(site / "leaves.jsonl"), "--tree-head", str(site / "tree-head.json"),
        "--key", str(site / "ledger-key.pem"), "--openings", str(site / "openings"),
        "--monitor-key", str(keys / "monitor.key"), "--monitor", "Independent Monitor",
        "--out", str(out),
    ]) == 0  # fmt: skip
    document = json.loads(out.read_text())
    url = f"/api/bulletins/{PROGRAM}/attestations"
    monitor = _client(personas["monitor"])
    forged = {**document, "checked": document["checked"] + 1}
    refused = monitor.post(url, data=json.dumps(forged), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "signature"
    denied = _client(personas["manager"]).post(
        url, data=json.dumps(document), content_type="application/json"
    )
    assert denied.status_code == 403
    recorded = monitor.post(url, data=json.dumps(document), content_type="application/json")
    assert recorded.status_code == 201, recorded.content
    seen = monitor.get(f"/api/bulletins/{PROGRAM}").json()
    assert seen["kind"] == "published" and seen["attestations"] == [document]
    assert seen["bulletin"]["exact"]["figures"]["registered"] >= 5
