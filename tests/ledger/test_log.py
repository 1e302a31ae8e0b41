"""Case events become public leaves; the export lets anyone recompute the signed root,
and it holds no name, birth date or national number."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import serialization

from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.keys.signing import canonical, unb64u, verify_raw
from sulh.ledger.merkle import leaf_hash, root_from_hashes
from sulh.ledger.services import ledger_openings
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def test_the_export_recomputes_to_the_signed_root_and_is_anonymous(personas, programs, tmp_path):
    payloads = [make_intake("aleppo-2016-amnesty", submitted_at=WHEN) for _ in range(3)]
    cases = [
        intake_register(data=parse(IntakeIn, p), clerk=personas["clerk"], now=WHEN).case
        for p in payloads
    ]
    case_services.decision_record(
        case=cases[0], user=personas["decider"], outcome="amnesty", reason=""
    )

    assert main(["ledger", "export", "--out", str(tmp_path)]) == 0

    lines = (tmp_path / "leaves.jsonl").read_text(encoding="utf-8").splitlines()
    leaves = [json.loads(line) for line in lines]
    # four events, padded to a multiple of 8, then one exact-totals leaf per program that
    # may publish one (not this one: three adults are too few to publish exactly)
    assert all(set(leaf) == {"commitment"} for leaf in leaves[:8])
    assert len({leaf["commitment"] for leaf in leaves[:8]}) == 8
    totals = leaves[8:]
    assert all(set(t) == {"as_of_size", "exact", "program"} for t in totals)
    assert "aleppo-2016-amnesty" not in {t["program"] for t in totals}
    records = [o["record"] for o in ledger_openings(first=0, size=8) if o]
    assert [r["event"] for r in records] == ["registered"] * 3 + ["decision_taken"] + [
        "padding"
    ] * 4
    assert records[3]["outcome"] == "amnesty" and records[3]["link"] == records[0]["link"]
    assert records[0]["day"] == "2016-08-10" and "T" not in records[0]["day"]

    head = json.loads((tmp_path / "tree-head.json").read_text())
    root = root_from_hashes([leaf_hash(line.encode()) for line in lines])
    assert head["size"] == len(leaves) and head["root_hash"] == root.hex()
    key = serialization.load_pem_public_key((tmp_path / "ledger-key.pem").read_bytes())
    body = {k: head[k] for k in ("size", "root_hash", "timestamp", "audit_seq", "audit_hash")}
    body["timestamp"] = dt.datetime.fromisoformat(body["timestamp"]).astimezone(dt.UTC).isoformat()
    assert verify_raw(key, unb64u(head["signature"]), canonical(body))

    exported = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    for payload in payloads:
        person = payload["person"]
        for secret in (
            person["family_name_ar"],
            person["family_name_lat"],
            person["birth_date"],
            person["national_id"],
        ):
            assert secret not in exported
