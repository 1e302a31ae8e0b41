"""``sulh card verify`` and ``sulh card issue-demo``: no database needed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sulh.cards.pinning import PinError, SeenLists, root_configured, state_default
from sulh.cards.status import StatusListError, status_list_load
from sulh.cards.trust import TrustListError, UntrustedRoot, trust_list_load
from sulh.cards.verify import Result, Verdict, verify_card
from sulh.core.errors import SulhError
from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    card = subparsers.add_parser("card", help="verify protection cards, or make a demo card")
    commands = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", help="verify a card offline (exit 0 only when VALID)")
    verify.add_argument("--trust", required=True, type=Path, help="the signed trust list (JSON)")
    verify.add_argument("--status", type=Path, help="the signed status list (JSON)")
    verify.add_argument(
        "--root",
        type=Path,
        help="the program's root public key (root.pub); else SULH_ROOT_PUBLIC_KEY(_FILE)",
    )
    verify.add_argument(
        "--state",
        type=Path,
        help="where the highest list sequences seen are kept "
        "(default: ~/.local/share/sulh/verifier-state.json)",
    )
    verify.add_argument(
        "--face", type=Path, help="write the face signed in the card (WebP) to this file"
    )
    verify.add_argument("card", help="the card text (SULH1:...) or a PNG image of its QR code")
    verify.set_defaults(handler=_verify)
    init = commands.add_parser(
        "root-init", help="make the program's root key: the private half goes to FILE only"
    )
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="where to write it (offline media)")
    where.add_argument(
        "--online",
        action="store_true",
        help="development or demo only: keep the root (and a publication key) on this site",
    )
    init.set_defaults(handler=_root_init)
    certify = commands.add_parser(
        "certify",
        help="with the offline root: certify station and publication keys, sign the trust list",
    )
    certify.add_argument("--root-key", required=True, type=Path)
    certify.add_argument("--days", type=int, default=180, help="validity of new keys")
    certify.add_argument(
        "--enrol-monitor",
        action="append",
        type=Path,
        default=[],
        metavar="PUB.json",
        help="an accredited monitor's public key (sulh monitor keygen) to list in the trust list",
    )
    certify.set_defaults(handler=_certify)
    enrol = commands.add_parser(
        "enrol-monitor", help="development or demo (online root): enrol a monitor's public key"
    )
    enrol.add_argument("--public", required=True, type=Path, metavar="PUB.json")
    enrol.set_defaults(handler=_enrol_monitor)
    demo = commands.add_parser("issue-demo", help="write a demo card, trust list and status list")
    demo.add_argument("--out", required=True, type=Path)
    demo.set_defaults(handler=_issue_demo)


def _card_text(argument: str) -> str | None:
    path = Path(argument)
    if argument.lower().endswith(".png") and path.exists():
        from sulh.cards.qr import read_png

        return read_png(path)
    if not argument.startswith("SULH1:") and path.is_file() and path.stat().st_size < 10_000:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    return argument


def _verify(args: argparse.Namespace) -> int:
    try:
        root = root_configured(args.root)
        seen = SeenLists(args.state or state_default())
        trust_document = json.loads(args.trust.read_text(encoding="utf-8"))
        try:
            trusted = trust_list_load(trust_document, root_public_key=root)
        except UntrustedRoot as exc:
            return _show(Result(Verdict.UNTRUSTED_ROOT, f"{exc}: refused"))
        refused = seen.check(root, "trust", trusted.sequence)
        if refused:
            return _show(Result(Verdict.TRUST_STALE, refused))
        seen.note(root, "trust", trusted.sequence)
        status, status_refused = None, ""
        if args.status:
            status = status_list_load(
                json.loads(args.status.read_text(encoding="utf-8")),
                public_key=trusted.status_signer,
            )
            status_refused = seen.check(root, "status", status.sequence)
            if status_refused:
                status = None
            else:
                seen.note(root, "status", status.sequence)
        seen.save()
    except (OSError, json.JSONDecodeError, TrustListError, StatusListError, PinError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = _card_text(args.card)
    if text is None:
        print(f"{Verdict.MALFORMED.value}: no QR code found in the image")
        return 1
    result = verify_card(text, trusted=trusted, status=status, status_refused=status_refused)
    if args.face and result.holder.get("photo"):
        args.face.write_bytes(result.holder["photo"])
    return _show(result)


def _show(result: Result) -> int:
    print(f"{result.verdict.value}: {result.message}")
    if result.warning:
        print(f"WARNING: {result.warning}")
    for label, value in (
        ("name (Arabic)", result.holder.get("name_ar")),
        ("name (Latin)", result.holder.get("name_lat")),
        ("birth year", result.holder.get("birth_year")),
        ("photo", _photo_note(result.holder.get("photo"))),
        ("program", result.card.get("program")),
        ("station", result.card.get("station")),
        ("valid until", result.card.get("valid_until")),
    ):
        if value:
            print(f"  {label}: {value}")
    return 0 if result.verdict == Verdict.VALID else 1


def _photo_note(photo: bytes | None) -> str:
    if not photo:
        return ""
    return f"a face of {len(photo)} bytes is signed in the card: show it with a page verifier"


def _issue_demo(args: argparse.Namespace) -> int:
    from sulh.cards.demo import issue_demo

    paths = issue_demo(out=args.out, now=dt.datetime.now(dt.UTC))
    for path in paths:
        print(path)
    return 0


def _root_init(args: argparse.Namespace) -> int:

    setup_django()
    from sulh.cards.services import root_init

    try:
        row = root_init(out=args.out)
    except (SulhError, FileExistsError) as exc:
        print(f"error: root_key: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.online:
        print(f"online root key {row.kid} and a publication key made: for development only")
        return 0
    print(
        f"root key {row.kid} written to {args.out}: keep it offline; the site keeps its public half"
    )
    return 0


def _certify(args: argparse.Namespace) -> int:

    setup_django()
    from sulh.cards.services import certify

    if not 30 <= args.days <= 730:
        print("error: days: must be between 30 and 730", file=sys.stderr)
        return 2
    try:
        monitors = [_json_of(path) for path in args.enrol_monitor]
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    try:
        document = certify(root_pem=args.root_key.read_bytes(), days=args.days, monitors=monitors)
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: root_key: {exc}", file=sys.stderr)
        return 2
    print(
        f"trust list signed: {len(document['keys'])} station keys, publication key certified, "
        f"{len(document.get('monitors', []))} monitors listed"
    )
    return 0


def _json_of(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SulhError(
            f"{path}: not a monitor's public key (JSON): {exc}", field="monitor_key"
        ) from exc


def _enrol_monitor(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.cards.services import monitor_enrol_online

    try:
        document = monitor_enrol_online(public=_json_of(args.public))
    except SulhError as exc:
        print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    print(f"monitor {document['name']} enrolled: the trust list names it")
    return 0
