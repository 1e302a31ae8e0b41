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


def _export(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.services import ledger_export

    for path in ledger_export(out=args.out):
        print(path)
    return 0
