"""``sulh lists import --name NAME --file list.csv``: load a screening list version and
re-screen the registered cases (which may go back to review: hence here, above matching)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sulh.core.setup import setup_django
from sulh.matching.cli import staged_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    lists = subparsers.add_parser("lists", help="screening lists")
    commands = lists.add_subparsers(dest="lists_command", metavar="ACTION", required=True)
    load = commands.add_parser("import", help="import a new version of a list and re-screen cases")
    load.add_argument("--name", required=True, help="the list's name, e.g. wanted-serious-crimes")
    load.add_argument(
        "--file",
        required=True,
        type=Path,
        help="CSV in the batch schema (+ aliases), or the UN Security Council list (.xml)",
    )
    load.add_argument("--source", default="", help="where the list comes from")
    load.add_argument(
        "--expected-alerts",
        action="store_true",
        help="say how many registered cases the list would alert on, and import nothing",
    )
    load.add_argument("--threshold", type=float, help="with --expected-alerts: the alert threshold")
    load.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.cases.lists import list_expected_alerts, list_import

    if args.expected_alerts:
        rate = list_expected_alerts(path=args.file, threshold=args.threshold)
        print(rate.line())
        print(f"list {args.name}: nothing imported (--expected-alerts)")
        return 0

    imported = list_import(
        path=args.file, name=args.name, user=None, source=args.source, progress=staged_progress()
    )
    print(f"list {imported.name} version {imported.version}: {imported.entry_count} entries")
    return 0
