"""``sulh retention run`` and ``sulh site abandon``."""

from __future__ import annotations

import argparse

from sulh.cli import setup_django

ABANDON_PHRASE = "DESTROY THE KEYS"


def register(subparsers: argparse._SubParsersAction) -> None:
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


def _retention(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.registry.retention import retention_run

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
    from sulh.core.crypto import keyring_destroy

    keyring_destroy()
    print("the data keys are destroyed: sealed personal data can no longer be read")
    return 0
