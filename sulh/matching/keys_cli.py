"""``sulh keys rebuild``: store every blocking key again after an upgrade that changes them.
(``sulh lists import`` re-screens cases, so it is ``sulh.cases.lists_cli``'s.)"""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django
from sulh.matching.cli import staged_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="the stored matching keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    rebuild = key_commands.add_parser(
        "rebuild",
        help="store the blocking keys of every case and active list entry again "
        "(after an upgrade whose release notes ask for it)",
    )
    rebuild.set_defaults(handler=_rebuild)


def _rebuild(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.matching.rebuild import keys_rebuild

    cases, entries = keys_rebuild(progress=staged_progress())
    print(f"keys stored again for {cases} cases and {entries} active list entries")
    return 0
