"""``sulh ledger export --out DIR``: what an independent monitor needs, and nothing personal."""

from __future__ import annotations

import argparse
from pathlib import Path

from sulh.cli import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    ledger = subparsers.add_parser("ledger", help="the transparency log")
    commands = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    export = commands.add_parser(
        "export", help="write leaves.jsonl, a signed tree-head.json and the key"
    )
    export.add_argument("--out", required=True, type=Path)
    export.set_defaults(handler=_export)
    bulletin = commands.add_parser(
        "bulletin", help="export the log and a program's bulletin computed from it (JSON)"
    )
    bulletin.add_argument("--program", required=True)
    bulletin.add_argument("--out", required=True, type=Path)
    bulletin.set_defaults(handler=_bulletin)

    monitor = subparsers.add_parser("monitor", help="independent checks of published figures")
    checks = monitor.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)
    check = checks.add_parser("check", help="recompute the root and every figure from the files")
    check.add_argument("--bulletin", required=True, type=Path)
    check.add_argument("--leaves", required=True, type=Path)
    check.add_argument("--tree-head", required=True, type=Path)
    check.add_argument("--key", required=True, type=Path)
    check.set_defaults(handler=_check)


def _export(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.services import ledger_export

    for path in ledger_export(out=args.out):
        print(path)
    return 0


def _bulletin(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.services import bulletin_publish

    for path in bulletin_publish(program_code=args.program, out=args.out):
        print(path)
    return 0


def _check(args: argparse.Namespace) -> int:
    """Needs nothing but the four files: no database, no settings."""
    from sulh.ledger.monitor import monitor_check

    try:
        report = monitor_check(
            bulletin=args.bulletin, leaves=args.leaves, tree_head=args.tree_head, key=args.key
        )
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the files: {exc}")
        return 2
    for problem in report.problems:
        print(f"DIFFERENCE: {problem}")
    if report.ok:
        print(f"OK: the root and all {report.checked} published figures agree with the log")
        return 0
    return 1
