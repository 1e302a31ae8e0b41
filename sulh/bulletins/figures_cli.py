"""``sulh bulletin --program ID --json FILE``: the program's figures as of now."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    bulletin = subparsers.add_parser("bulletin", help="the figures of a program as of now")
    bulletin.add_argument("--program", required=True, help="program id, e.g. aleppo-2016-amnesty")
    bulletin.add_argument(
        "--json", type=Path, help="write the figures to this file (default: print)"
    )
    bulletin.set_defaults(handler=_bulletin)


def _bulletin(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.bulletins.figures import program_figures

    text = json.dumps(program_figures(program_code=args.program), ensure_ascii=False, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0
