"""Daily bulletins over several simulated days: honest output passes the monitor, a log
rewritten between two heads does not; children and corridor tallies are counted apart;
proofs are served over HTTP; nothing published names anyone."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess

import pytest
from django.test import Client

from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.ledger.leaves import canonical_leaf
from sulh.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from sulh.ledger.models import LedgerLeaf, LedgerNodes
from sulh.ledger.services import tree_head_sign
from sulh.registry.schemas import IntakeIn
from tests.clients import api_client, device_client
from tests.conftest import make_intake
from tests.ledger.test_monitor import PROGRAM, _day

pytestmark = pytest.mark.django_db


def _publish(folder) -> None:
    assert main(["ledger", "bulletin", "--program", PROGRAM, "--out", str(folder)]) == 0


def _check(folder, previous=None) -> int:
    argv = [
        "monitor", "check", "--bulletin", str(folder / f"bulletin-{PROGRAM}.json"),
        "--leaves", str(folder / "leaves.jsonl"), "--tree-head", str(folder / "tree-head.json"),
        "--key", str(folder / "ledger-key.pem"),
    ]  # fmt: skip
    if previous is not None:
        argv += ["--previous-head", str(previous / "tree-head.json")]
    return main(argv)


def test_bulletins_of_several_days_pass_and_a_rewritten_past_fails(
    personas, programs, tmp_path, capsys
):
    days = []
    for number, day in enumerate((10, 11, 12)):
        _day(personas, day, 7)
        folder = tmp_path / f"day{number}"
        _publish(folder)
        days.append(folder)
    for earlier, later in itertools.pairwise(days):
        assert _check(later, previous=earlier) == 0
    assert "OK" in capsys.readouterr().out
    bulletin = json.loads((days[-1] / f"bulletin-{PROGRAM}.json").read_text())
    assert {"2016-08-10", "2016-08-11", "2016-08-12"} <= set(bulletin["by_day"])
    assert {"by_station", "by_sex", "by_age_band", "children", "corridor"} <= bulletin.keys()

    # The operator rewrites an early leaf (a registration becomes another station's) and
    # publishes again: the new export is self-consistent, but not with yesterday's head.
    first = LedgerLeaf.objects.get(index=0)
    leaf = json.loads(first.leaf)
    leaf["station"] = "elsewhere"
    rewritten = canonical_leaf(**leaf)
    first.leaf, first.leaf_hash = rewritten.decode(), leaf_hash(rewritten).hex()
    first.save()
    LedgerNodes.objects.all().delete()  # and has the stored tree levels built again from it
    _day(personas, 13, 3)
    today = tmp_path / "rewritten"
    _publish(today)
    assert _check(today) == 0  # alone, the rewritten log looks honest
    capsys.readouterr()
    assert _check(today, previous=days[-1]) == 1
    assert "consistency proof fails" in capsys.readouterr().out


def test_children_are_counted_apart(personas, programs, tmp_path):
    when = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
    for birth in ("1990-01-01", "2004-05-05", "1985-03-03"):
        payload = make_intake(PROGRAM, submitted_at=when, person={"birth_date": birth})
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    _publish(tmp_path)
    leaves = [json.loads(line) for line in (tmp_path / "leaves.jsonl").read_text().splitlines()]
    assert [leaf.get("age_band") for leaf in leaves].count("child") == 1
    computed = json.loads((tmp_path / f"bulletin-{PROGRAM}.json").read_text())
    # two adults and one child: below the small-cell threshold, so the figures are hidden,
    # but the monitor recomputes them the same way
    assert computed["figures"]["registered"] is None
    assert computed["children"]["registered"] is None
    assert _check(tmp_path) == 0
    from sulh.ledger.monitor import figures_from_leaves

    raw = figures_from_leaves(leaves, program=PROGRAM)
    assert (raw["figures"]["registered"], raw["children"]["registered"]) == (2, 1)
    assert "child" not in raw["by_age_band"]


def test_corridor_tallies_are_logged_and_published(personas, programs, tmp_path):
    client = device_client(personas["coordinator"], scopes=["tallies"])
    url = f"/api/programs/{PROGRAM}/corridor-tallies"
    point = personas["clerk"].station.code
    for count in (120, 35):
        body = {"point": point, "day": "2016-08-10", "count": count}
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 201
    bad = client.post(
        url,
        data=json.dumps({"point": point, "day": "2016-08-10", "count": -4}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "count"
    denied = api_client(personas["clerk"]).post(
        url,
        data=json.dumps({"point": point, "day": "2016-08-10", "count": 1}),
        content_type="application/json",
    )
    assert denied.status_code == 403
    _publish(tmp_path)
    bulletin = json.loads((tmp_path / f"bulletin-{PROGRAM}.json").read_text())
    assert bulletin["corridor"] == {"2016-08-10": {point: 155}}
    assert _check(tmp_path) == 0
    path = tmp_path / f"bulletin-{PROGRAM}.json"
    bulletin["corridor"]["2016-08-10"][point] = 300
    path.write_text(json.dumps(bulletin))
    assert _check(tmp_path) == 1


def test_proofs_over_http_verify_against_the_signed_head(personas, programs):
    _day(personas, 10, 6)
    client = Client()
    assert client.get("/api/ledger/tree-head").status_code == 404  # nothing published yet
    tree_head_sign()  # the daily publication; a read never signs a head
    head = client.get("/api/ledger/tree-head").json()
    size = head["size"]
    assert size >= 6
    proof = client.get(f"/api/ledger/proof/inclusion?index=3&size={size}").json()
    assert verify_inclusion(
        leaf_hash(proof["leaf"].encode()),
        3,
        size,
        [bytes.fromhex(h) for h in proof["proof"]],
        bytes.fromhex(head["root_hash"]),
    )
    _day(personas, 11, 4)
    grown = client.get(f"/api/ledger/proof/consistency?old={size}").json()
    assert grown["old_root_hash"] == head["root_hash"]
    assert verify_consistency(
        size,
        grown["tree_size"],
        bytes.fromhex(head["root_hash"]),
        bytes.fromhex(grown["root_hash"]),
        [bytes.fromhex(h) for h in grown["proof"]],
    )
    bad = client.get("/api/ledger/proof/inclusion?index=99999")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "index"


def test_bulletin_pages_name_nobody(personas, programs, tmp_path):
    when = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
    payloads = [make_intake(PROGRAM, submitted_at=when) for _ in range(6)]
    for payload in payloads:
        intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=when)
    _publish(tmp_path)
    html = (tmp_path / f"bulletin-{PROGRAM}.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html
    published = html + "".join(
        p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.suffix in {".json", ".jsonl"}
    )
    if shutil.which("pdftotext"):
        pdf = tmp_path / f"bulletin-{PROGRAM}.pdf"
        published += subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Registered" in published
    for payload in payloads:
        person = payload["person"]
        for secret in (
            person["family_name_ar"], person["family_name_lat"], person["given_name_lat"],
            person["birth_date"], person["national_id"],
        ):  # fmt: skip
            assert secret not in published
