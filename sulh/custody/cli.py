"""``sulh custody ...``: on the site, the day's weapons figures into the log, a witness's
key enrolled, a batch's document for its witnesses, the proof that one serial was
destroyed; on a witness's device, their key and signature; on a monitor's machine (no
database), the check of such a proof against the public log."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from sulh.core.errors import SulhError
from sulh.core.setup import setup_django
from sulh.custody.serials import serial_normalise
from sulh.keys.witnesses import (
    WitnessKeyError,
    witness_generate,
    witness_private_load,
    witness_private_pem,
    witness_public,
    witness_sign,
)
from sulh.ledger.destruction import destroyed_check
from sulh.ledger.monitor import MonitorInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    custody = subparsers.add_parser("custody", help="weapons custody: figures, destruction")
    commands = custody.add_subparsers(dest="custody_command", metavar="ACTION", required=True)
    figures = commands.add_parser(
        "figures-log", help="write the day's weapons figures to the log (daily, before publish)"
    )
    figures.add_argument("--day", type=dt.date.fromisoformat, help="YYYY-MM-DD (default today)")
    figures.set_defaults(handler=_figures)
    keygen = commands.add_parser("witness-keygen", help="(a witness's device) make a key")
    keygen.add_argument("--name", required=True)
    keygen.add_argument("--out", required=True, type=Path, help="a folder")
    keygen.set_defaults(handler=_keygen)
    enrol = commands.add_parser("witness-enrol", help="enrol a witness's public key")
    enrol.add_argument("--public", required=True, type=Path, help="witness.pub.json")
    enrol.set_defaults(handler=_enrol)
    document = commands.add_parser(
        "destruction-document", help="write the document a batch's witnesses sign"
    )
    document.add_argument("--batch", required=True, type=int)
    document.add_argument("--out", required=True, type=Path)
    document.set_defaults(handler=_document)
    sign = commands.add_parser("witness-sign", help="(a witness's device) sign a batch document")
    sign.add_argument("--key", required=True, type=Path, help="witness.key")
    sign.add_argument("--document", required=True, type=Path)
    sign.set_defaults(handler=_sign)
    prove = commands.add_parser(
        "prove-destroyed", help="write the salt and proof that one serial was destroyed"
    )
    prove.add_argument("--batch", required=True, type=int)
    prove.add_argument("--serial", required=True)
    prove.add_argument("--out", required=True, type=Path)
    prove.set_defaults(handler=_prove)
    check = commands.add_parser(
        "check-destroyed",
        help="(a monitor's machine) check that a serial was destroyed, against the public log",
    )
    check.add_argument("--proof", required=True, type=Path)
    check.add_argument("--serial", required=True, help="the serial as read")
    check.add_argument("--leaves", required=True, type=Path)
    check.add_argument("--tree-head", required=True, type=Path)
    check.add_argument("--key", required=True, type=Path)
    check.set_defaults(handler=_check)


def _figures(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.custody.log import figures_log

    written = figures_log(day=args.day)
    print(f"weapons figures logged: {written} records" if written else "already logged today")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    private, public = args.out / "witness.key", args.out / "witness.pub.json"
    if private.exists():
        print(f"error: {private} exists: a witness's key is made once")
        return 2
    key = witness_generate()
    private.touch(mode=0o600)
    private.write_bytes(witness_private_pem(key))
    public.write_text(json.dumps(witness_public(key, args.name), indent=2), encoding="utf-8")
    print(private)
    print(public)
    return 0


def _enrol(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.custody.destruction import witness_key_enrol

    try:
        row = witness_key_enrol(public=json.loads(args.public.read_text(encoding="utf-8")))
    except (SulhError, ValueError) as exc:
        print(f"error: witness_key: {getattr(exc, 'message', exc)}")
        return 2
    print(f"witness {row.name} enrolled")
    return 0


def _document(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.custody.models import DestructionBatch

    batch = DestructionBatch.objects.filter(pk=args.batch).first()
    if batch is None:
        print("error: batch: no such destruction batch")
        return 2
    args.out.write_text(json.dumps(batch.document, indent=2, ensure_ascii=False), "utf-8")
    print(args.out)
    return 0


def _sign(args: argparse.Namespace) -> int:
    try:
        key = witness_private_load(args.key.read_bytes())
        document = json.loads(args.document.read_text(encoding="utf-8"))
    except (OSError, ValueError, WitnessKeyError) as exc:
        print(f"error: {exc}")
        return 2
    print(witness_sign(key, document))
    return 0


def _prove(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.custody.destruction import destruction_proof

    try:
        document = destruction_proof(batch_id=args.batch, serial=args.serial)
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}")
        return 2
    args.out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(args.out)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        report = destroyed_check(
            proof=args.proof, value=serial_normalise(args.serial), leaves=args.leaves,
            tree_head=args.tree_head, key=args.key,
        )  # fmt: skip
    except MonitorInputError as exc:
        print(f"error: {exc}")
        return 2
    for problem in report.problems:
        print(f"DIFFERENCE: {problem}")
    if not report.ok:
        return 1
    print("OK: this serial is in a destruction batch committed under the signed tree head")
    return 0
