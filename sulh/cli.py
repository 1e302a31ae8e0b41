"""The ``sulh`` command: one entry point, sub-commands contributed by each package.

Each module in COMMAND_MODULES has ``register(subparsers)``; every sub-command sets
``handler(args) -> int``. Commands that need the database call ``setup_django()``;
the verifier and the monitor must run from files alone, so Django is never set up
eagerly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sulh.core.errors import SulhError

COMMAND_MODULES: tuple[str, ...] = (
    "sulh.core.cli",
    "sulh.keys.cli",
    "sulh.accounts.cli",
    "sulh.site.cli",
    "sulh.programs.cli",
    "sulh.matching.cli",
    "sulh.matching.keys_cli",
    "sulh.cases.lists_cli",
    "sulh.cases.serving_cli",
    "sulh.cards.cli",
    "sulh.audit.cli",
    "sulh.ledger.cli",
    "sulh.departures.cli",
    "sulh.custody.cli",
    "sulh.demo.cli",
    "sulh.bulletins.figures_cli",
    "sulh.api.tokens_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sulh",
        description="Sulh: case management for amnesty, settlement and DDR programs.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except SulhError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
