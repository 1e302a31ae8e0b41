"""``sulh lists import --name NAME --file list.csv``: load a screening list version.
``sulh keys rebuild``: store every blocking key again after an upgrade that changes them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sulh.core.setup import setup_django
from sulh.matching.cli import progress_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    lists = subparsers.add_parser("lists", help="screening lists")
    commands = lists.add_subparsers(dest="lists_command", metavar="ACTION", required=True)
    load = commands.add_parser("import", help="import a new version of a list and re-screen cases")
    load.add_argument("--name", required=True, help="the list's name, e.g. wanted-serious-crimes")
    load.add_argument(
        "--file",
        required=True,
        type=Path,
        help="CSV in the batch schema (+ aliases), or the UN Security Council list (.xml)",
    )
    load.add_argument("--source", default="", help="where the list comes from")
    load.set_defaults(handler=_import)
    keys = subparsers.add_parser("keys", help="the stored matching keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    rebuild = key_commands.add_parser(
        "rebuild",
        help="store the blocking keys of every case and active list entry again "
        "(after an upgrade whose release notes ask for it)",
    )
    rebuild.set_defaults(handler=_rebuild)


def _staged() -> Callable[[str, int, int], None] | None:
    """A progress bar per stage on a terminal; nothing when the output is not one."""
    if not sys.stderr.isatty():
        return None
    bars: dict[str, Callable[[int, int], None] | None] = {}

    def show(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, progress_bar(stage))
        if bar:
            bar(done, total)

    return show


def _import(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.matching.services import list_import

    imported = list_import(
        path=args.file, name=args.name, user=None, source=args.source, progress=_staged()
    )
    print(f"list {imported.name} version {imported.version}: {imported.entry_count} entries")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.matching.services import keys_rebuild

    cases, entries = keys_rebuild(progress=_staged())
    print(f"keys stored again for {cases} cases and {entries} active list entries")
    return 0
