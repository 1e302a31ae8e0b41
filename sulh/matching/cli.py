"""``sulh match dedup`` and ``sulh match screen``: the stable batch interface (no database)."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from pathlib import Path

from sulh.matching.batch import (
    InputError,
    RowRejection,
    dedup,
    read_people_csv,
    screen,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    match = subparsers.add_parser("match", help="find duplicates or list matches in CSV files")
    commands = match.add_subparsers(dest="match_command", metavar="ACTION", required=True)
    dedup_cmd = commands.add_parser("dedup", help="cluster the records of one person")
    dedup_cmd.add_argument("--input", required=True, type=Path)
    dedup_cmd.add_argument("--output", required=True, type=Path)
    dedup_cmd.add_argument("--threshold", type=float)
    dedup_cmd.add_argument("--rejections", type=Path, help="write rejected rows here (CSV)")
    dedup_cmd.add_argument(
        "--workers", type=int, help="processes comparing pairs (default: the usable cores)"
    )
    dedup_cmd.set_defaults(handler=_dedup)
    screen_cmd = commands.add_parser("screen", help="check registrants against a list")
    screen_cmd.add_argument("--list", required=True, type=Path, dest="list_file")
    screen_cmd.add_argument("--input", required=True, type=Path)
    screen_cmd.add_argument("--output", required=True, type=Path)
    screen_cmd.add_argument("--threshold", type=float)
    screen_cmd.add_argument("--rejections", type=Path, help="write rejected rows here (CSV)")
    screen_cmd.set_defaults(handler=_screen)


def _progress(label: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def _report(rejections: list[RowRejection], source: Path, target: Path | None) -> None:
    for rejection in rejections[:20]:
        print(
            f"{source}: row {rejection.row_number}: {rejection.field}: {rejection.message}",
            file=sys.stderr,
        )
    if len(rejections) > 20:
        print(f"{source}: {len(rejections) - 20} more rows rejected", file=sys.stderr)
    if target is not None:
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "row", "field", "message"])
            writer.writerows([source, r.row_number, r.field, r.message] for r in rejections)


def _dedup(args: argparse.Namespace) -> int:
    try:
        records, rejections = read_people_csv(args.input)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _report(rejections, args.input, args.rejections)
    clusters = dedup(
        records, threshold=args.threshold, progress=_progress("dedup"), workers=args.workers
    )
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "cluster_id"])
        writer.writerows((record.record_id, clusters[record.record_id]) for record in records)
    groups = len(set(clusters.values()))
    print(
        f"{len(records)} records, {groups} clusters, {len(rejections)} rows rejected",
        file=sys.stderr,
    )
    return 0


def _screen(args: argparse.Namespace) -> int:
    try:
        entries, list_rejections = read_people_csv(args.list_file)
        records, rejections = read_people_csv(args.input)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _report(list_rejections, args.list_file, None)
    _report(rejections, args.input, args.rejections)
    hits = screen(entries, records, threshold=args.threshold, progress=_progress("screen"))
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "list_id", "score", "evidence"])
        writer.writerows((h.record_id, h.list_id, f"{h.score:.4f}", h.evidence) for h in hits)
    print(
        f"{len(records)} records screened against {len(entries)} entries: {len(hits)} hits",
        file=sys.stderr,
    )
    return 0
