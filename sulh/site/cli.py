"""``sulh backup --out FILE`` and ``sulh restore FILE [--force]`` (the database in one file;
the keys folder is never in the backup: see sulh.site.backup and docs/backup.md),
``sulh retention run`` and ``sulh site abandon``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sulh.core.setup import setup_django
from sulh.keys.keyring import keyring_destroy
from sulh.keys.token import token_configured, token_destroy_all

ABANDON_PHRASE = "DESTROY THE KEYS"

KEYS_NOTICE = (
    "The backup holds the database only. Personal data in it is encrypted with the keys "
    "in the keys folder (SULH_KEYS_DIR, by default var/keys): back that folder up "
    "separately and store it apart from the database backups. Without the keys a "
    "restored database cannot be read; with them, anyone holding the backup can read it."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="copy the database into one file (database only: back up var/keys separately)",
        description=(
            "Copy the database into one file: SQLite through its online backup API, "
            "PostgreSQL with pg_dump --format=custom. The site may keep running. " + KEYS_NOTICE
        ),
    )
    backup.add_argument(
        "--out", type=Path, required=True, help="the backup file to write (must not exist)"
    )
    backup.set_defaults(handler=_backup)

    restore = subparsers.add_parser(
        "restore",
        help="replace the database with a backup file (the keys folder is restored separately)",
        description=(
            "Replace the configured database with a backup made by `sulh backup`. Stop the "
            "site first. A database that already holds data is refused unless --force is "
            "given. " + KEYS_NOTICE + " Put back the keys folder of the installation the "
            "backup came from before starting the site; then run `sulh manage migrate` if "
            "the backup is older than this version of Sulh."
        ),
    )
    restore.add_argument("file", type=Path, help="a file written by `sulh backup`")
    restore.add_argument(
        "--force", action="store_true", help="overwrite a database that already holds data"
    )
    restore.set_defaults(handler=_restore)
    _register_retention(subparsers)


def _register_retention(subparsers: argparse._SubParsersAction) -> None:
    retention = subparsers.add_parser(
        "retention", help="erase what retention periods no longer allow"
    )
    actions = retention.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="erase the personal data of cases past retention")
    run.add_argument("--dry-run", action="store_true", help="count what is due, erase nothing")
    run.set_defaults(handler=_retention)
    site = subparsers.add_parser("site", help="the installation as a whole")
    site_actions = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    abandon = site_actions.add_parser(
        "abandon",
        help="destroy the data keys: every sealed name, date and number becomes unreadable",
    )
    abandon.add_argument("--confirm", required=True, help=f'type "{ABANDON_PHRASE}"')
    abandon.set_defaults(handler=_abandon)


def _backup(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.site.backup import backup_create

    report = backup_create(out=args.out)
    print(f"backed up the {report.kind} database into {report.path} ({report.size:,} bytes)")
    print("not included: the keys folder. " + KEYS_NOTICE)
    return 0


def _restore(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.site.backup import backup_restore

    report = backup_restore(source=args.file, force=args.force)
    if report.replaced:
        print(f"replaced what was in {report.database} ({sum(report.replaced.values())} rows)")
    print(
        f"restored the {report.kind} database {report.database} from {args.file}: "
        f"{report.intakes} intakes, {report.cases} cases"
    )
    if report.keys_problem:
        print(f"warning: personal data cannot be read: {report.keys_problem}")
        return 1
    return 0


def _retention(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.site.retention import retention_run

    report = retention_run(dry_run=args.dry_run)
    verb = "due" if args.dry_run else "erased"
    for program, count in sorted(report.erased.items()):
        print(f"{program}: {count} cases {verb}")
    print(f"{report.total} cases {verb}")
    return 0


def _abandon(args: argparse.Namespace) -> int:
    if args.confirm != ABANDON_PHRASE:
        print(f'error: confirm: type exactly "{ABANDON_PHRASE}"')
        return 2
    setup_django()
    destroyed = keyring_destroy()
    print(f"site abandoned: {len(destroyed)} key files overwritten and deleted")
    if token_configured():
        print(f"{token_destroy_all()} signing keys destroyed in the token")
    print(
        "the data keys are destroyed: sealed personal data can no longer be read, and every "
        "running worker now answers 503 'site abandoned'. Destroy every backup of the keys "
        "folder too. New keys are made only by 'sulh keyring init --after-abandon'."
    )
    return 0
