"""The database-only attacker: the raw SQLite file and its write-ahead log, read as bytes.

A real installation in a scratch folder (tests.trust.live_server) writes registrations,
a decision whose reason names someone, a family member, an identity document and weapons
with their serials, a wanted list that names a registrant, and a case read and a search whose purposes name someone. While another connection keeps the write-ahead log in place, the test reads
``sulh.sqlite3`` and ``sulh.sqlite3-wal`` byte by byte, as a thief who copied the data
folder without its keys would, and finds none of it.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.trust.live_server import Installation, intake_payloads

pytestmark = pytest.mark.slow


# Columns a thief may read, and why: counts and states for the figures, times, serials and
# opaque ids, keyed hashes, hashes of the audit chain, program definitions (public), staff
# accounts and stations. Every other text column must hold sealed values or nothing.
CLEAR_BY_DESIGN = {
    "django_migrations": None, "sqlite_sequence": None, "django_content_type": None,
    "auth_permission": None, "django_session": None, "django_admin_log": None,
    "accounts_station": None, "accounts_user": None, "accounts_apitoken": None,
    "accounts_loginstate": None, "accounts_devicetoken": None, "accounts_stepup": None,
    "accounts_service": None, "accounts_casereadwindow": None, "accounts_staffsession": None,
    "audit_audithead": None, "programs_program": None,
    "programs_programversion": None, "ledger_ledgerhead": None,
    "ledger_ledgerleaf": None,  # the public log itself
    "audit_auditentry": {"at", "actor", "action", "obj_type", "obj_id", "prev_hash",
                         "entry_hash", "sealed_hash"},
    "registry_person": {"national_id_index", "sex", "age_band"},
    "registry_intake": {"uuid", "serial", "idempotency_key", "payload_sha256",
                        "program_version", "pledge_version", "pledge_language",
                        "submitted_at", "received_at"},
    "registry_surrendereditem": {"kind"},
    "registry_familymember": {"sex"},
    "cases_case": {"state", "proposed_outcome", "outcome", "created_at", "updated_at",
                   "decided_at", "handover_due_at", "handed_over_at", "erased_at",
                   "station_claimed_at"},
    "cases_caseevent": {"event", "from_state", "to_state", "at", "outcome", "details"},
    "cases_decision": {"outcome", "status", "decided_at", "second_at"},
    "matching_matchkey": {"key"},
    "matching_listkey": {"key"},
    "matching_screeninglist": {"name", "source", "imported_at"},
    "matching_matchcandidate": {"other_index", "model", "status", "created_at", "resolved_at"},
}  # fmt: skip


def _columns_in_clear(db) -> set[str]:
    """``table.column`` of every text value in the raw file that is neither sealed nor
    blank nor allowed in clear above (read with sqlite3 from a copy, not through Django)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        found = set()
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            allowed = CLEAR_BY_DESIGN.get(table, set())
            if allowed is None:
                continue
            for column in [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]:
                if column in allowed or column == "seal_row":  # a row's random seal id
                    continue
                rows = conn.execute(
                    f'SELECT "{column}" FROM "{table}" WHERE typeof("{column}") = \'text\' '  # noqa: S608
                    f"AND \"{column}\" != '' AND substr(\"{column}\", 1, 3) NOT IN ('v1:', 'v2:')"
                ).fetchone()
                if rows:
                    found.add(f"{table}.{column}")
        return found
    finally:
        conn.close()


def test_the_raw_database_file_and_its_log_hold_nothing_readable(tmp_path):
    site = Installation(data_dir=tmp_path / "site")
    site.prepare(stations=("kil1",))
    db = site.data_dir / "sulh.sqlite3"
    holder = sqlite3.connect(db)  # keeps the -wal file from being folded back and removed
    try:
        holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
        payloads = intake_payloads(12, seed=31, key_prefix="raw")
        secrets = site.task("sensitive", {"clerk": "clerk-kil1", "payloads": payloads, "seed": 31})
        wal = db.with_name("sulh.sqlite3-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the write-ahead log was not kept"
        raw = db.read_bytes() + wal.read_bytes()
    finally:
        holder.close()
    assert len(secrets) > 30
    found = [s for s in secrets if s.encode() in raw]
    assert found == [], f"{len(found)} of {len(secrets)} values readable in the raw files"
    assert b"PRIVATE KEY" not in raw
    clear = _columns_in_clear(db)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    leaked = conn.execute(
        "SELECT count(*) FROM cases_caseevent WHERE details LIKE '%\"rule\"%'"
    ).fetchone()[0]
    conn.close()
    assert leaked == 0, "the rule that fired (it says affiliation and origin) is in event details"
    assert clear == set(), f"columns holding values in clear that may say who someone is: {clear}"
    # the files read are the live ones: the case serials, kept in clear, are in them, and
    # the names are there for whoever holds the keys
    state = site.task("state")
    assert state["intakes"] == 12
    assert state["candidates"] >= 1  # the wanted list hit its registrant
    assert all(serial.encode() in raw for serial in state["serials"])
    assert any(name in secrets for names in state["names"].values() for name in names)
