"""``sulh card verify`` and ``sulh card issue-demo``: no database needed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sulh.cards.keys import TrustListError, trust_list_load
from sulh.cards.status import StatusListError, status_list_load
from sulh.cards.verify import Verdict, verify_card


def register(subparsers: argparse._SubParsersAction) -> None:
    card = subparsers.add_parser("card", help="verify protection cards, or make a demo card")
    commands = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", help="verify a card offline (exit 0 only when VALID)")
    verify.add_argument("--trust", required=True, type=Path, help="the signed trust list (JSON)")
    verify.add_argument("--status", type=Path, help="the signed status list (JSON)")
    verify.add_argument("card", help="the card text (SULH1:...) or a PNG image of its QR code")
    verify.set_defaults(handler=_verify)
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
        trust_document = json.loads(args.trust.read_text(encoding="utf-8"))
        trusted = trust_list_load(trust_document)
        status = None
        if args.status:
            status = status_list_load(
                json.loads(args.status.read_text(encoding="utf-8")),
                root_public_key=trusted.root_public_key,
            )
    except (OSError, json.JSONDecodeError, TrustListError, StatusListError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = _card_text(args.card)
    if text is None:
        print(f"{Verdict.MALFORMED.value}: no QR code found in the image")
        return 1
    result = verify_card(text, trusted=trusted, status=status)
    print(f"{result.verdict.value}: {result.message}")
    for label, value in (
        ("name (Arabic)", result.holder.get("name_ar")),
        ("name (Latin)", result.holder.get("name_lat")),
        ("birth year", result.holder.get("birth_year")),
        ("program", result.card.get("program")),
        ("station", result.card.get("station")),
        ("valid until", result.card.get("valid_until")),
    ):
        if value:
            print(f"  {label}: {value}")
    return 0 if result.verdict == Verdict.VALID else 1


def _issue_demo(args: argparse.Namespace) -> int:
    from sulh.cards.demo import issue_demo

    paths = issue_demo(out=args.out, now=dt.datetime.now(dt.UTC))
    for path in paths:
        print(path)
    return 0
