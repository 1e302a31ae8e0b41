"""The database-only attacker: the raw SQLite file and its write-ahead log, read as bytes.

A real installation in a scratch folder (tests.trust.live_server) writes registrations,
a decision whose reason names someone, and a case read and a search whose purposes name
someone. While another connection keeps the write-ahead log in place, the test reads
``sulh.sqlite3`` and ``sulh.sqlite3-wal`` byte by byte, as a thief who copied the data
folder without its keys would, and finds none of it.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.trust.live_server import Installation, intake_payloads

pytestmark = pytest.mark.slow


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
    # the files read are the live ones: the case serials, kept in clear, are in them, and
    # the names are there for whoever holds the keys
    state = site.task("state")
    assert state["intakes"] == 12
    assert all(serial.encode() in raw for serial in state["serials"])
    assert any(name in secrets for names in state["names"].values() for name in names)
