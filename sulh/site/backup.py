"""Back up the database into one file, and restore it from one.

SQLite: the sqlite3 online backup API copies a consistent snapshot while desks
keep writing (WAL), into a single self-contained file. PostgreSQL:
``pg_dump --format=custom``, restored with ``pg_restore --clean --if-exists`` in
one transaction.

The backup holds the database only. Personal fields in it are sealed with the
keys under ``SULH_KEYS_DIR`` (``var/keys``, or ``SULH_MASTER_KEY`` for the
key-encryption key): without those keys a backup cannot be read, and with them
anyone holding the backup can read it. Back the keys folder up separately and
store it apart from the database backups.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connections

from sulh.cases.models import Case
from sulh.core.errors import Conflict, SulhError, ValidationFailed
from sulh.keys.sealing import SealError
from sulh.registry.models import Intake, Person

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Tables that ``migrate`` fills by itself: rows there do not make a database "in use".
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


class BackupError(SulhError):
    status = 500
    code = "backup"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int
    tables: int


@dataclass(frozen=True)
class RestoreReport:
    kind: str
    database: str
    replaced: dict[str, int]  # rows per table that were in the database before
    intakes: int
    cases: int
    keys_problem: str | None  # None when a restored sealed value opens with the keys in place


def database_kind() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"cannot back up a database with engine {engine}", field="DATABASE_URL")


def database_name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def database_contents() -> dict[str, int]:
    """Rows per table, for every table that holds any (tables ``migrate`` fills left out)."""
    connection = connections["default"]
    counts: dict[str, int] = {}
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        raise BackupError(
            f"cannot open the database {database_name()}: {exc}".strip(), field="database"
        ) from None
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in MIGRATE_TABLES:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 - names from the schema
            (rows,) = cursor.fetchone()
            if rows:
                counts[table] = int(rows)
    return counts


# --- Backup ----------------------------------------------------------------------


def backup_create(*, out: Path) -> BackupReport:
    """Write the database into ``out`` (a new file, mode 0600, written whole or not at all)."""
    out = Path(out)
    if out.exists():
        raise ValidationFailed(
            f"{out} already exists; choose a new name (backups are never overwritten)",
            field="out",
        )
    if not out.parent.is_dir():
        raise ValidationFailed(f"the folder {out.parent} does not exist", field="out")
    kind = database_kind()
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        if kind == "sqlite":
            _sqlite_backup(partial)
        else:
            _pg_dump(partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(
        path=out, kind=kind, size=out.stat().st_size, tables=len(database_contents())
    )


def _sqlite_backup(target: Path) -> None:
    source_path = Path(database_name())
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}", field="database")
    source = sqlite3.connect(source_path, timeout=60)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # one consistent snapshot, writers are not stopped
        # One self-contained file: no write-ahead log beside it.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()
        source.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (postgresql-client) "
            "of the server's major version or newer",
            field=name,
        )
    return found


def _pg_env() -> dict[str, str]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    return env


def _run(command: list[str], *, what: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed programs, arguments from settings
        command, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            f"{what} failed (exit {done.returncode}): {' / '.join(detail[-5:])}",
            field="database",
        )


def _pg_dump(target: Path) -> None:
    connections["default"].close()
    _run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={database_name()}"],
        what="pg_dump",
    )


# --- Restore -----------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """What a backup file holds, from its first bytes."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"{path} is not a file", field="file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise ValidationFailed(
        f"{path} is neither an SQLite backup nor a pg_dump custom-format archive", field="file"
    )


def backup_restore(*, source: Path, force: bool = False) -> RestoreReport:
    """Replace the database with the backup ``source``; refuses a database in use unless forced.

    Stop the server first: a restore under a running site would mix old and new state.
    """
    source = Path(source)
    kind = database_kind()
    found = backup_kind(source)
    if found != kind:
        raise ValidationFailed(
            f"{source} is a {found} backup but the configured database is {kind} "
            "(check DATABASE_URL)",
            field="file",
        )
    contents = database_contents()
    if contents and not force:
        raise Conflict(
            f"the database {database_name()} is not empty: it holds "
            f"{contents.get('registry_intake', 0)} intakes ({sum(contents.values())} rows in "
            f"{len(contents)} tables) and a restore would replace all of it. Back it up first "
            "if it matters, then pass --force to overwrite it",
            field="database",
        )
    connections.close_all()
    if kind == "sqlite":
        _sqlite_restore(source)
    else:
        _pg_restore(source)
    connections.close_all()
    return RestoreReport(
        kind=kind,
        database=database_name(),
        replaced=contents,
        intakes=Intake.objects.count(),
        cases=Case.objects.count(),
        keys_problem=keys_problem(),
    )


def _sqlite_restore(source_path: Path) -> None:
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        (verdict,) = source.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise ValidationFailed(f"{source_path} is damaged: {verdict}", field="file")
        target_path = Path(database_name())
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=60)
        try:
            source.backup(target)  # page by page under the write lock; the old WAL is reset
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        source.close()


def _pg_restore(source_path: Path) -> None:
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={database_name()}",
            str(source_path),
        ],
        what="pg_restore",
    )


def keys_problem() -> str | None:
    """Why the database's sealed values cannot be read with the keys in place, or None.

    Never creates keys: a missing keyring is reported, not replaced by a new one.
    """
    keys_dir = Path(settings.SULH_KEYS_DIR)
    missing = [
        name
        for name, present in (
            ("keyring.json", (keys_dir / "keyring.json").exists()),
            (
                "master.key (or SULH_MASTER_KEY)",
                bool(os.environ.get("SULH_MASTER_KEY")) or (keys_dir / "master.key").exists(),
            ),
        )
        if not present
    ]
    if not Person.objects.exists():
        return None
    if missing:
        return (
            f"the keys folder {keys_dir} has no {' and no '.join(missing)}: put back the keys "
            "folder backed up with this installation before starting the site"
        )
    try:
        person = Person.objects.order_by("pk").first()
        assert person is not None
        _ = (person.given_name_ar, person.given_name_lat)
    except SealError as exc:
        return (
            f"the keys in {keys_dir} do not open this database's personal data ({exc.message}): "
            "restore the keys folder of the installation this backup came from"
        )
    return None
