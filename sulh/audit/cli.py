"""``sulh audit verify``: check the keyed chain and its anchors (exit 0 when intact);
``sulh audit show``: the last entries with their purposes opened (the operator, with keys)."""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="the audit trail")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser(
        "verify", help="check that no entry was removed, altered or reordered"
    )
    verify.add_argument(
        "--heads",
        help="tree heads a monitor kept (tree-head.json, a JSON list, or one a line): "
        "the trail must still hold the audit head each one anchors",
    )
    verify.set_defaults(handler=_verify)
    show = commands.add_parser("show", help="the last entries, purposes opened")
    show.add_argument("--last", type=int, default=50)
    show.add_argument("--object", help="only entries about TYPE:ID, e.g. case:12")
    show.set_defaults(handler=_show)


def _verify(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.audit.services import audit_check_anchors, audit_verify

    report = audit_verify()
    if report.broken_at is not None:
        print(f"audit trail BROKEN at entry {report.broken_at}: {report.reason}")
        return 1
    anchors = audit_check_anchors(heads_file=args.heads)
    for problem in anchors.problems:
        print(f"audit trail REWRITTEN: {problem}")
    if anchors.problems:
        return 1
    erased = f", {report.erased} purposes erased with their cases" if report.erased else ""
    print(
        f"audit trail intact: {report.entries} entries{erased}; "
        f"{anchors.anchors} anchors in published tree heads hold"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.audit.models import AuditEntry

    entries = AuditEntry.objects.order_by("-seq")
    if args.object:
        obj_type, _, obj_id = args.object.partition(":")
        entries = entries.filter(obj_type=obj_type, obj_id=obj_id)
    for entry in reversed(list(entries[: max(args.last, 0)])):
        purpose = entry.purpose if entry.sealed else "(erased)"
        print(
            f"{entry.seq}\t{entry.at.isoformat()}\t{entry.actor or '-'}\t{entry.action}\t"
            f"{entry.obj_type}:{entry.obj_id}\t{purpose}\t{entry.details}"
        )
    return 0
