"""Dedup and screening on the independent generator's data (bench/independent/README.md).

Runs ``sulh match dedup`` and ``sulh match screen`` through the CLI, default settings.

    python -m bench matching_independent [--split report|tune] [--size 30000]
"""

from __future__ import annotations

from bench.independent.evaluate import main as _main


def main(argv: list[str]) -> int:
    return _main(argv)
