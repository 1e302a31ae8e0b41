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
    assert [leaf["event"] for leaf in leaves] == ["registered"] * 3 + ["decision_taken"]
    assert leaves[3]["outcome"] == "amnesty" and leaves[3]["case"] == leaves[0]["case"]
    assert leaves[0]["day"] == "2016-08-10" and "T" not in leaves[0]["day"]

    head = json.loads((tmp_path / "tree-head.json").read_text())
    root = root_from_hashes([leaf_hash(line.encode()) for line in lines])
    assert head["size"] == 4 and head["root_hash"] == root.hex()
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
