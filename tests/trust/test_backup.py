"""``sulh backup`` and ``sulh restore`` on a real installation: SQLite, and PostgreSQL when reachable.

A restored database equals the backed-up one (counts, serials, decrypted names);
a database in use is only overwritten with --force; a new installation needs the
keys folder, which the backup does not hold.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.trust.live_server import (
    Installation,
    intake_payloads,
    pg_reachable,
    pg_scratch_database,
)

CLERK = "clerk-bak1"


@pytest.fixture
def databases(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Two empty databases of the kind under test: the installation's, and a new site's."""
    if request.param == "postgresql":
        if not pg_reachable():
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        with pg_scratch_database("sulh_bak") as first, pg_scratch_database("sulh_bak") as second:
            yield first, second
    else:
        yield "", ""


def _register(installation: Installation, payloads: list[dict[str, Any]]) -> list[str]:
    return installation.task("register", {"clerk": CLERK, "payloads": payloads})


@pytest.mark.slow
@pytest.mark.parametrize(
    "databases",
    [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_a_restore_brings_back_the_backed_up_state_readable_with_the_keys(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    site = Installation(tmp_path / "site", databases[0])
    site.prepare(stations=("bak1",))
    payloads = intake_payloads(9, seed=5, key_prefix="backup-test")
    payloads.append(intake_payloads(1, seed=6, key_prefix="backup-again")[0])
    payloads[-1]["person"] = dict(payloads[1]["person"])  # one person registered twice
    _register(site, payloads[:5])
    backed_up = site.task("state")
    assert backed_up["intakes"] == 5 and all(all(n) for n in backed_up["names"].values())

    backup = tmp_path / "sulh.backup"
    made = site.sulh("backup", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    assert "keys folder" in made.stdout
    magic = b"PGDMP" if site.database_url else b"SQLite format 3\x00"
    assert backup.read_bytes().startswith(magic)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    again = site.sulh("backup", "--out", str(backup))
    assert again.returncode == 2 and "already exists" in again.stderr

    _register(site, payloads[5:])
    later = site.task("state")
    assert later["intakes"] == 10 and later["candidates"] >= 1

    refused = site.sulh("restore", str(backup))
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert site.task("state") == later  # nothing touched

    restored = site.sulh("restore", "--force", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert site.task("state") == backed_up
    # The serial counters came back with the rows: numbering continues, no gap, no reuse.
    (serial,) = _register(site, payloads[5:6])
    assert serial == "BAK1-2016-000006"
    assert site.sulh("audit", "verify").returncode == 0

    # A new machine: an empty database, and the keys folder put back from its own backup.
    new_site = Installation(tmp_path / "new-site", databases[1])
    without_keys = new_site.sulh("restore", str(backup))
    assert without_keys.returncode == 1
    assert "cannot be read" in without_keys.stdout and "keys folder" in without_keys.stdout
    assert not (new_site.data_dir / "keys" / "keyring.json").exists()  # no new keys made up

    shutil.copytree(site.data_dir / "keys", new_site.data_dir / "keys", dirs_exist_ok=True)
    with_keys = new_site.sulh("restore", "--force", str(backup))
    assert with_keys.returncode == 0, with_keys.stdout + with_keys.stderr
    assert new_site.task("state") == backed_up


def test_a_backup_of_the_other_database_kind_is_refused_naming_the_file(tmp_path: Path) -> None:
    site = Installation(tmp_path / "site")
    site.prepare(stations=("bak1",))
    dump = tmp_path / "other.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    refused = site.sulh("restore", str(dump))
    assert refused.returncode == 2
    assert "file:" in refused.stderr and "postgresql backup" in refused.stderr
