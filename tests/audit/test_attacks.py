"""Attacks on the audit trail, as an attacker would make them.

With the database alone: read the file for reasons and purposes (none in clear; after
retention erasure, not even sealed); delete 105 entries and re-hash the chain as it was
hashed before (plain SHA-256): verification names the first bad entry. With the whole
server (every key): rebuild the chain with valid MACs after deleting entries before the
last published tree head: the heads (the ledger's, and those a monitor kept) report it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import pytest
from django.db import connection

from sulh.audit.models import AuditEntry, AuditHead
from sulh.audit.services import (
    GENESIS,
    audit_check_anchors,
    audit_record,
    audit_verify,
    chain_fields,
    chain_key,
    chain_mac,
    head_mac,
    seal_entry,
    sha256_hex,
)
from sulh.cases import selectors
from sulh.cases import services as case_services
from sulh.cases.exports import export_request
from sulh.cases.intake import intake_register
from sulh.cases.models import Case
from sulh.cases.search import person_search
from sulh.cli import main
from sulh.core.validation import parse
from sulh.keys.services import publication_signer, root_online_create
from sulh.keys.signing import b64u, canonical
from sulh.ledger.models import TreeHead
from sulh.ledger.monitor import head_body
from sulh.ledger.publication import ledger_export
from sulh.ledger.services import tree_head_document, tree_head_sign
from sulh.matching.record import PersonRecord
from sulh.registry.schemas import IntakeIn
from sulh.site.retention import retention_run
from sulh.synth import generate_people
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
PROGRAM = "aleppo-2016-amnesty"


def _named(seed: int) -> str:
    person = generate_people(1, seed=seed)[0]
    rng = random.Random(seed)
    fields = person.as_intake_person(rng=rng)
    return f"{fields['given_name_lat']} {fields['family_name_lat']}"


def _every_value() -> str:
    """What a SQL dump of every table holds (SQLite and PostgreSQL alike)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema
            parts.extend(str(v) for row in cursor.fetchall() for v in row if v is not None)
    return "\n".join(parts)


def _raw_database_bytes() -> bytes:
    """The SQLite database's pages as they would lie in the file, free pages included
    (``serialize`` of the test database, which lives in memory)."""
    if connection.vendor != "sqlite":
        return b""
    connection.ensure_connection()
    return bytes(connection.connection.serialize())


@pytest.fixture
def reasons(personas, programs):
    """A case decided with a reason naming someone, read with a purpose, searched for, and an
    export asked for: each free text names a generated person."""
    payload = make_intake(PROGRAM, submitted_at=WHEN)
    case = intake_register(data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN).case
    texts = {
        "read": f"tip-off from {_named(1)}",
        "decision": f"at the checkpoint, vouched for by {_named(2)}",
        "search": f"asked by {_named(3)}",
        "export": f"court order about {_named(4)}",
    }
    selectors.case_get_for_user(
        user=personas["decider"], serial=case.intake.serial, purpose=texts["read"]
    )
    case_services.decision_record(
        case=case, user=personas["decider"], outcome="amnesty", reason=texts["decision"]
    )
    query = PersonRecord(record_id="q", given_name="Omar", family_name="al-Ali")
    person_search(user=personas["clerk"], query=query, purpose=texts["search"])
    export_request(user=personas["manager"], program_code=PROGRAM, purpose=texts["export"])
    return case, texts


def test_no_reason_or_purpose_is_in_the_database_in_clear(reasons):
    _, texts = reasons
    opened = {entry.purpose for entry in AuditEntry.objects.all()}
    assert set(texts.values()) <= opened  # the trail still says why, to who holds the keys
    dump = _every_value()
    raw = _raw_database_bytes()
    for text in texts.values():
        for word in (text, " ".join(text.split()[-2:])):  # the whole text; the name in it
            assert word not in dump
            assert word.encode() not in raw
    audit_rows = [e for e in AuditEntry.objects.all() if e.purpose in texts.values()]
    for text in texts.values():
        assert text not in "".join(f"{e.sealed}{e.obj_id}{e.action}" for e in audit_rows)


def test_a_sealed_purpose_moved_to_another_entry_does_not_open_or_verify(reasons):
    decision = AuditEntry.objects.get(action="case.decision_taken")
    read = AuditEntry.objects.get(action="case.read")
    AuditEntry.objects.filter(pk=read.pk).update(
        sealed=decision.sealed, sealed_hash=decision.sealed_hash
    )
    read.refresh_from_db()
    with pytest.raises(Exception, match="altered or moved"):
        read.purpose  # noqa: B018 - opening is the attack
    assert audit_verify().broken_at == read.seq


def test_after_retention_erasure_the_case_purposes_are_gone_even_with_the_keys(reasons):
    case, texts = reasons
    about_case = AuditEntry.objects.filter(obj_type="case", obj_id=str(case.pk))
    sealed_before = [e.sealed for e in about_case if e.sealed]
    assert sealed_before
    now = WHEN + dt.timedelta(days=1825 + 400)
    Case.objects.filter(pk=case.pk).update(updated_at=WHEN)
    assert retention_run(now=now).total == 1
    dump = _every_value()
    for token in sealed_before:  # no copy of the ciphertext is left to open with the keys
        assert token not in dump
    left = {e.purpose for e in AuditEntry.objects.all()}
    assert texts["read"] not in left and texts["decision"] not in left
    assert texts["search"] in left  # not about the case: kept
    report = audit_verify()
    assert report.broken_at is None and report.erased >= len(sealed_before)


def _many_entries(n: int) -> None:
    for i in range(n):
        audit_record(actor=None, action="search", obj_type="person", obj_id="", purpose=f"q{i}")


def _sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_deleting_105_entries_and_rehashing_the_old_way_is_detected(personas, capsys):
    """The database alone: delete 105 entries, renumber, re-hash with plain SHA-256 as the
    chain used to be, fix the head. Verification names the first entry re-hashed."""
    _many_entries(130)
    _sql("DELETE FROM audit_auditentry WHERE seq BETWEEN 11 AND 115")
    _sql("UPDATE audit_auditentry SET seq = seq - 105 WHERE seq > 115")
    prev = AuditEntry.objects.get(seq=10).entry_hash
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, seq, at, actor, action, obj_type, obj_id, sealed_hash "
            "FROM audit_auditentry WHERE seq > 10 ORDER BY seq"
        )
        rows = cursor.fetchall()
    for pk, seq, at, actor, action, obj_type, obj_id, sealed_hash in rows:
        fields = {"seq": seq, "at": str(at), "actor": actor, "action": action,
                  "obj_type": obj_type, "obj_id": obj_id, "sealed_hash": sealed_hash,
                  "prev_hash": prev}  # fmt: skip
        digest = hashlib.sha256(
            json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        _sql(
            "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
            prev, digest, pk,
        )  # fmt: skip
        prev, last = digest, seq
    AuditHead.objects.update(seq=last, entry_hash=prev)
    report = audit_verify()
    assert (report.broken_at, report.reason) == (11, "was altered after it was written")
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at entry 11" in capsys.readouterr().out


def test_cutting_the_tail_and_moving_the_head_back_is_detected(personas, capsys):
    """The database alone (second red-team review): delete the last 105 entries and set
    the head row to the entry before them. The head's MAC is under the chain key."""
    _many_entries(130)
    last = AuditEntry.objects.order_by("-seq").first().seq
    keep = last - 105
    kept_hash = AuditEntry.objects.get(seq=keep).entry_hash
    _sql("DELETE FROM audit_auditentry WHERE seq > %s", keep)
    _sql("UPDATE audit_audithead SET seq = %s, entry_hash = %s", keep, kept_hash)
    report = audit_verify()
    assert report.reason == "the chain's head was moved or altered"
    assert main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out
    # Nor does removing the head row altogether pass for an empty trail.
    _sql("DELETE FROM audit_audithead")
    assert audit_verify().reason == "the chain's head row was removed"


def _rebuild_with_the_keys(*, delete_from: int, delete_to: int) -> None:
    """The whole server: the keys are at hand, so the thief's chain has valid MACs."""
    AuditEntry.objects.filter(seq__range=(delete_from, delete_to)).delete()
    gap = delete_to - delete_from + 1
    key, prev = chain_key(), GENESIS
    for entry in AuditEntry.objects.order_by("seq"):
        if entry.seq > delete_to:
            from_entry = entry.purpose, entry.details  # opened: the thief has the data key
            entry.seq -= gap
            entry.sealed = seal_entry(
                seq=entry.seq, action=entry.action, purpose=from_entry[0], details=from_entry[1]
            )
            entry.sealed_hash = sha256_hex(entry.sealed)
        entry.prev_hash = prev
        entry.entry_hash = chain_mac(chain_fields(entry), prev, key=key)
        AuditEntry.objects.filter(pk=entry.pk).update(
            seq=entry.seq, sealed=entry.sealed, sealed_hash=entry.sealed_hash,
            prev_hash=prev, entry_hash=entry.entry_hash,
        )  # fmt: skip
        prev, last = entry.entry_hash, entry.seq
    AuditHead.objects.update(seq=last, entry_hash=prev, head_mac=head_mac(last, prev, key=key))


def test_a_chain_rebuilt_with_the_keys_contradicts_the_published_heads(
    personas, programs, tmp_path, capsys
):
    root_online_create()
    _many_entries(40)
    ledger_export(out=tmp_path / "day1")  # a tree head anchoring entry 40 or so is published
    monitor_kept = tmp_path / "monitor-heads.jsonl"
    monitor_kept.write_text((tmp_path / "day1" / "tree-head.json").read_text().replace("\n", ""))
    anchored = TreeHead.objects.get().audit_seq
    assert anchored and anchored >= 40
    assert main(["audit", "verify", "--heads", str(monitor_kept)]) == 0
    capsys.readouterr()

    _rebuild_with_the_keys(delete_from=5, delete_to=30)
    assert audit_verify().broken_at is None  # the MACs hold: the thief had the key
    problems = audit_check_anchors().problems
    assert problems and "rewritten before it" in problems[0]
    assert main(["audit", "verify"]) == 1
    assert "REWRITTEN" in capsys.readouterr().out

    # The thief re-signs the ledger's own heads too (the publication key is on the server)
    for head in TreeHead.objects.all():
        head.audit_seq, head.audit_hash = AuditHead.objects.values_list("seq", "entry_hash").get()
        head.signature = b64u(
            publication_signer().sign(canonical(head_body(tree_head_document(head))))
        )
        head.save()
    assert main(["audit", "verify"]) == 0  # the server's own store now agrees: the limit
    capsys.readouterr()
    assert main(["audit", "verify", "--heads", str(monitor_kept)]) == 1
    out = capsys.readouterr().out
    assert "REWRITTEN: monitor-heads.jsonl" in out and f"entry {anchored}" in out


def test_a_forged_head_in_the_heads_file_is_refused(personas, programs, tmp_path, capsys):
    root_online_create()
    _many_entries(3)
    tree_head_sign()
    document = tree_head_document(TreeHead.objects.get())
    document["audit_hash"] = "0" * 64
    forged = tmp_path / "heads.json"
    forged.write_text(json.dumps([document]))
    assert main(["audit", "verify", "--heads", str(forged)]) == 1
    assert "not signed by the publication key" in capsys.readouterr().out
