"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench NAME [ARGS]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _modules() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = _modules()
    if argv and not argv[0].startswith("-"):
        wanted, rest = [argv[0]], argv[1:]
        if wanted[0] not in names:
            print(f"unknown benchmark {wanted[0]!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
    else:
        wanted, rest = names, argv
    status = 0
    for name in wanted:
        print(f"\n== bench/{name}.py ==", flush=True)
        status |= importlib.import_module(f"bench.{name}").main(rest)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
