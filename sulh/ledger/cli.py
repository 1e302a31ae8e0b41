"""``sulh ledger export --out DIR``: what an independent monitor needs, and nothing personal."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sulh.core.errors import SulhError
from sulh.core.setup import setup_django


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
    check.add_argument(
        "--previous-head",
        type=Path,
        help="an earlier tree-head.json: check that the log only grew since",
    )
    check.set_defaults(handler=_check)
    proof = commands.add_parser("proof", help="inclusion or consistency proofs (JSON)")
    proof.add_argument("kind", choices=["inclusion", "consistency"])
    proof.add_argument("--index", type=int, help="the leaf (inclusion)")
    proof.add_argument("--old", type=int, help="the earlier tree size (consistency)")
    proof.add_argument(
        "--size", type=int, help="a published tree head's size (default: the latest)"
    )
    proof.set_defaults(handler=_proof)


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
            bulletin=args.bulletin,
            leaves=args.leaves,
            tree_head=args.tree_head,
            key=args.key,
            previous_head=args.previous_head,
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


def _proof(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.services import ledger_consistency_proof, ledger_inclusion_proof

    try:
        if args.kind == "inclusion":
            if args.index is None:
                raise SulhError("give the leaf with --index", field="index")
            document = ledger_inclusion_proof(index=args.index, size=args.size)
        else:
            if args.old is None:
                raise SulhError("give the earlier tree size with --old", field="old")
            document = ledger_consistency_proof(old=args.old, size=args.size)
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}")
        return 2
    print(json.dumps(document, indent=2))
    return 0
