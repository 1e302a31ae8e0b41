"""``sulh audit verify``: check the audit trail's hash chain (exit 0 when intact)."""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="the audit trail")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser(
        "verify", help="check that no entry was removed, altered or reordered"
    )
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.audit.services import audit_verify

    report = audit_verify()
    if report.broken_at is None:
        print(f"audit trail intact: {report.entries} entries")
        return 0
    print(f"audit trail BROKEN at entry {report.broken_at}: {report.reason}")
    return 1
