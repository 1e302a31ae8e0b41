"""``sulh ledger ...`` (the site: publish, export, bulletins, monitor packages, proofs) and
``sulh monitor ...`` (a monitor's own machine: keys, checks, attestations; no database)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sulh.core.errors import SulhError
from sulh.core.setup import setup_django
from sulh.keys.monitors import MonitorKeys

if TYPE_CHECKING:
    from sulh.ledger.monitor import CheckReport


def _differences(report: CheckReport) -> bool:
    """Print each problem a check found; True when there was none."""
    for problem in report.problems:
        print(f"DIFFERENCE: {problem}")
    return report.ok


def register(subparsers: argparse._SubParsersAction) -> None:
    ledger = subparsers.add_parser("ledger", help="the transparency log")
    commands = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    publish = commands.add_parser(
        "publish",
        help="sign a tree head and publish the bulletins that are due, with monitor packages",
    )
    publish.add_argument("--force", action="store_true", help="publish every program now")
    publish.set_defaults(handler=_publish)
    export = commands.add_parser(
        "export", help="write the public tier of the latest head: leaves.jsonl, tree-head.json, key"
    )
    export.add_argument("--out", required=True, type=Path)
    export.set_defaults(handler=_export)
    bulletin = commands.add_parser(
        "bulletin", help="write a program's latest bulletin (JSON, HTML, PDF) and its head's log"
    )
    bulletin.add_argument("--program", required=True)
    bulletin.add_argument("--out", required=True, type=Path)
    bulletin.set_defaults(handler=_bulletin)
    package = commands.add_parser(
        "monitor-package", help="write the encrypted openings for an enrolled monitor"
    )
    package.add_argument("--monitor", required=True, help="the monitor's enrolled name")
    package.add_argument("--out", required=True, type=Path)
    package.set_defaults(handler=_package)
    proof = commands.add_parser("proof", help="inclusion or consistency proofs (JSON)")
    proof.add_argument("kind", choices=["inclusion", "consistency"])
    proof.add_argument("--index", type=int, help="the leaf (inclusion)")
    proof.add_argument("--old", type=int, help="the earlier tree size (consistency)")
    proof.add_argument(
        "--size", type=int, help="a published tree head's size (default: the latest)"
    )
    proof.set_defaults(handler=_proof)

    monitor = subparsers.add_parser("monitor", help="independent checks of published figures")
    checks = monitor.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)
    check = checks.add_parser("check", help="check a bulletin against the log (and the openings)")
    _check_arguments(check)
    check.set_defaults(handler=_check)
    attest = checks.add_parser(
        "attest", help="check with the openings, and sign that the bulletin agrees"
    )
    _check_arguments(attest)
    attest.add_argument("--monitor", required=True, help="the monitor's name, as enrolled")
    attest.add_argument("--out", required=True, type=Path, help="the attestation (JSON)")
    attest.set_defaults(handler=_attest)
    keygen = checks.add_parser("keygen", help="make a monitor's keys (on the monitor's machine)")
    keygen.add_argument("--name", required=True)
    keygen.add_argument("--out", required=True, type=Path, help="a folder")
    keygen.set_defaults(handler=_keygen)
    verify = checks.add_parser("verify-attestation", help="check a monitor's attestation")
    verify.add_argument("--attestation", required=True, type=Path)
    verify.add_argument("--monitor-public", required=True, type=Path)
    verify.add_argument("--bulletin", required=True, type=Path)
    verify.add_argument("--tree-head", required=True, type=Path)
    verify.add_argument("--key", required=True, type=Path)
    verify.add_argument("--previous-head", type=Path)
    verify.add_argument("--consistency", type=Path, help="sulh ledger proof consistency output")
    verify.set_defaults(handler=_verify)


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bulletin", required=True, type=Path)
    parser.add_argument("--leaves", required=True, type=Path)
    parser.add_argument("--tree-head", required=True, type=Path)
    parser.add_argument("--key", required=True, type=Path)
    parser.add_argument(
        "--previous-head",
        type=Path,
        help="an earlier tree-head.json: check that the log only grew since",
    )
    parser.add_argument("--openings", type=Path, help="the folder of the monitor's packages")
    parser.add_argument("--monitor-key", type=Path, help="the monitor's private key (PEM)")


def _publish(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.publication import ledger_publish

    result = ledger_publish(force=args.force)
    if result.head is None:
        print("nothing is due: no program's bulletin is older than its schedule")
        return 0
    print(f"tree head {result.head.size} signed ({result.padding} padding leaves)")
    for bulletin in result.bulletins:
        print(f"bulletin {bulletin.program}")
    for package in result.packages:
        print(f"package for {package.monitor.name}: leaves {package.first}..{package.size - 1}")
    return 0


def _export(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.publication import ledger_export

    for path in ledger_export(out=args.out):
        print(path)
    return 0


def _site(action: Callable[..., list[Path]], **kwargs: Any) -> int:
    try:
        paths = action(**kwargs)
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}")
        return 2
    for path in paths:
        print(path)
    return 0


def _bulletin(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.publication import bulletin_write

    return _site(bulletin_write, program=args.program, out=args.out)


def _package(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.ledger.publication import monitor_package_write

    return _site(monitor_package_write, monitor=args.monitor, out=args.out)


def _run_check(args: argparse.Namespace) -> CheckReport:
    from sulh.ledger.monitor import monitor_check

    return monitor_check(
        bulletin=args.bulletin,
        leaves=args.leaves,
        tree_head=args.tree_head,
        key=args.key,
        previous_head=args.previous_head,
        openings=args.openings,
        monitor_key=args.monitor_key,
    )


def _check(args: argparse.Namespace) -> int:
    """Needs nothing but the files: no database, no settings."""
    from sulh.ledger.monitor import MonitorInputError

    try:
        report = _run_check(args)
    except MonitorInputError as exc:
        print(f"error: {exc}")
        return 2
    if not _differences(report):
        return 1
    if report.opened:
        print(f"OK: the root, the openings and all {report.checked} checks agree with the log")
    else:
        print(
            f"OK: the signature, the root and {report.checked} public checks agree "
            "(the perturbed figures need the openings: --openings, --monitor-key)"
        )
    return 0


def _attest(args: argparse.Namespace) -> int:
    import datetime as dt

    from sulh.ledger.monitor import MonitorInputError, monitor_attest

    if args.openings is None or args.monitor_key is None:
        print("error: attesting needs the openings: --openings DIR --monitor-key PRIV.pem")
        return 2
    try:
        report = _run_check(args)
        if not _differences(report):
            print("no attestation: the bulletin does not agree with the log")
            return 1
        document = monitor_attest(
            bulletin=args.bulletin,
            tree_head=args.tree_head,
            report=report,
            monitor_key=args.monitor_key,
            monitor=args.monitor,
            at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
    except MonitorInputError as exc:
        print(f"error: {exc}")
        return 2
    args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"attested: {args.out}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    keys = MonitorKeys.generate()
    args.out.mkdir(parents=True, exist_ok=True)
    private = args.out / "monitor.key"
    public = args.out / "monitor.pub.json"
    if private.exists():
        print(f"error: {private} exists: a monitor's key is made once")
        return 2
    private.touch(mode=0o600)
    private.write_bytes(keys.to_pem())
    public.write_text(json.dumps(keys.public(args.name), indent=2), encoding="utf-8")
    print(private)
    print(public)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from sulh.ledger.monitor import MonitorInputError, attestation_check

    try:
        report = attestation_check(
            attestation=args.attestation,
            monitor_public=args.monitor_public,
            bulletin=args.bulletin,
            tree_head=args.tree_head,
            key=args.key,
            previous_head=args.previous_head,
            consistency=args.consistency,
        )
    except MonitorInputError as exc:
        print(f"error: {exc}")
        return 2
    if not _differences(report):
        return 1
    print(f"OK: the attestation holds ({report.checked} checks)")
    return 0


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
