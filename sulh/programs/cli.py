"""``sulh programs validate FILE...`` and ``sulh programs list``: no database needed."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sulh.programs.loader import ProgramFileError, load_program, load_program_dir

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "programs"


def register(subparsers: argparse._SubParsersAction) -> None:
    programs = subparsers.add_parser("programs", help="validate and list program definitions")
    commands = programs.add_subparsers(dest="programs_command", metavar="ACTION", required=True)
    validate = commands.add_parser("validate", help="validate program files")
    validate.add_argument("files", nargs="+", type=Path)
    validate.set_defaults(handler=_validate)
    listing = commands.add_parser("list", help="list the programs in a directory")
    listing.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    listing.set_defaults(handler=_list)


def _validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            definition = load_program(path)
        except ProgramFileError as exc:
            print(exc, file=sys.stderr)
            status = 2
            continue
        print(f"OK {definition.id} {definition.version}")
    return status


def _list(args: argparse.Namespace) -> int:
    try:
        programs = load_program_dir(args.dir)
    except ProgramFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    now = dt.datetime.now(dt.UTC)
    for definition in programs.values():
        state = "open" if definition.opens_at <= now <= definition.deadline else "closed"
        opens, deadline = (
            definition.local_time(t) for t in (definition.opens_at, definition.deadline)
        )
        print(f"{definition.id:<28} {definition.kind:<13} {opens} → {deadline}  {state:<6}")
        print(f"{'':<28} {definition.title.en}")
    return 0
