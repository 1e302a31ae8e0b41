"""``sulh demo``: a running system with simulated registrations, for trying Sulh out."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sulh.core.cli import serve_site
from sulh.core.setup import setup_django

DEFAULT_PASSWORD = "sulh-demo-2024"  # noqa: S105 - demo mode only, printed on start


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="set up the demo: programs, staff, simulated registrations; then serve"
    )
    demo.add_argument("--people", type=int, default=3000, help="registrations to simulate")
    demo.add_argument("--seed", type=int, default=2016)
    demo.add_argument("--serve", dest="serve", action="store_true", default=True)
    demo.add_argument("--no-serve", dest="serve", action="store_false")
    demo.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    demo.add_argument("--bulletin-json", type=Path, help="write the programs' figures here")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    if args.people < 0 or args.people > 1_000_000:
        print("error: people: must be between 0 and 1000000", file=sys.stderr)
        return 2
    os.environ.setdefault("SULH_DEMO", "true")
    setup_django()
    from sulh.demo.services import demo_prepare

    password = os.environ.get("SULH_DEMO_PASSWORD") or DEFAULT_PASSWORD
    started = time.monotonic()
    report = demo_prepare(people=args.people, seed=args.seed, password=password, echo=print)
    print(f"demo ready in {time.monotonic() - started:.1f} s")
    if args.bulletin_json:
        args.bulletin_json.write_text(json.dumps(report.bulletins, ensure_ascii=False, indent=2))
        print(f"figures written to {args.bulletin_json}")
    print("demo accounts (password: " + password + "):")
    for username, role in report.accounts:
        code = report.enrolment_codes.get(username, "")
        print(f"  {username:<22} {role:<24} {code}".rstrip())
    print(
        "deciding officers, card officers, managers and administrators also need a code from"
        " an authenticator app: they enrol one at their first sign-in with the enrolment code"
        " above (good once, for a day; `sulh users enrol-code USERNAME` makes a new one)"
    )
    if not args.serve:
        return 0
    print(f"serving the staff site on http://127.0.0.1:{args.port}")
    return serve_site(host="127.0.0.1", port=args.port, workers=2)
