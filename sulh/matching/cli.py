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
    alert_rate,
    dedup,
    read_people_csv,
    screen,
)
from sulh.matching.record import PersonRecord
from sulh.matching.versions import CURRENT, VERSIONS, model_named


def register(subparsers: argparse._SubParsersAction) -> None:
    match = subparsers.add_parser("match", help="find duplicates or list matches in CSV files")
    commands = match.add_subparsers(dest="match_command", metavar="ACTION", required=True)
    dedup_cmd = commands.add_parser("dedup", help="cluster the records of one person")
    # Kept as text: Path would fold a URI's "//" (hdfs://, s3a:// for --engine spark).
    dedup_cmd.add_argument("--input", required=True)
    dedup_cmd.add_argument("--output", required=True)
    dedup_cmd.add_argument("--threshold", type=float)
    dedup_cmd.add_argument("--rejections", type=Path, help="write rejected rows here (CSV)")
    _engine(dedup_cmd)
    _model(dedup_cmd)
    dedup_cmd.add_argument(
        "--workers", type=int, help="processes comparing pairs (default: the usable cores)"
    )
    dedup_cmd.set_defaults(handler=_dedup)
    screen_cmd = commands.add_parser("screen", help="check registrants against a list")
    screen_cmd.add_argument("--list", required=True, dest="list_file")
    screen_cmd.add_argument("--input", required=True)
    screen_cmd.add_argument("--output", required=True)
    screen_cmd.add_argument("--threshold", type=float)
    screen_cmd.add_argument("--rejections", type=Path, help="write rejected rows here (CSV)")
    screen_cmd.add_argument(
        "--expected-alerts",
        action="store_true",
        help="also say how many registrants the list alerts on at the threshold (stderr)",
    )
    _engine(screen_cmd)
    _model(screen_cmd)
    screen_cmd.set_defaults(handler=_screen)


def _engine(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--engine",
        choices=("embedded", "spark"),
        default="embedded",
        help="embedded (one machine, the default) or spark (needs pyspark and Java; "
        "the files may then be hdfs:// or s3a:// paths)",
    )


def _model(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--model",
        choices=tuple(VERSIONS),
        default=CURRENT.name,
        help=f"the matching model version that weighs (default: {CURRENT.name}, the current "
        "one; an older one reproduces results scored with it)",
    )


def progress_bar(label: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def staged_progress() -> Callable[[str, int, int], None] | None:
    """A progress bar per stage on a terminal; nothing when the output is not one."""
    if not sys.stderr.isatty():
        return None
    bars: dict[str, Callable[[int, int], None] | None] = {}

    def show(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, progress_bar(stage))
        if bar:
            bar(done, total)

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


def _read(
    reader: Callable[[Path], tuple[list[PersonRecord], list[RowRejection]]], path: Path, flag: str
) -> tuple[list[PersonRecord], list[RowRejection]]:
    try:
        return reader(path)
    except InputError as exc:
        message = str(exc)
        prefix = f"{path}: "
        raise InputError(f"{flag} {path}: {message.removeprefix(prefix)}") from None


def _dedup(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return _spark(args)
    args.input, args.output = Path(args.input), Path(args.output)
    try:
        records, rejections = read_people_csv(args.input)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _report(rejections, args.input, args.rejections)
    held_apart: list[list[str]] = []
    clusters = dedup(
        records,
        threshold=args.threshold,
        progress=progress_bar("dedup"),
        workers=args.workers,
        model=model_named(args.model),
        held_apart=held_apart,
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
    if held_apart:
        # Linked records kept in several clusters: a record linked to one member of a
        # cluster that disagrees with the cluster as a whole (a namesake) is not chained in.
        print(
            f"{len(held_apart)} groups of linked records held apart in more than one cluster "
            f"(not chained), e.g. {', '.join(held_apart[0][:6])}",
            file=sys.stderr,
        )
    return 0


def _spark(args: argparse.Namespace) -> int:
    """``--engine spark``: the same model on the configured Spark (or a local one)."""
    if args.model != CURRENT.name:
        print(
            f"error: --engine spark runs the current model ({CURRENT.name}) only", file=sys.stderr
        )
        return 2
    from sulh.matching import spark

    try:
        session = spark.session(f"sulh match {args.match_command}")
    except ImportError as exc:
        print(f"error: --engine spark needs pyspark ({exc}); pip install pyspark", file=sys.stderr)
        return 2
    except Exception as exc:  # pyspark raises its own types when Java is missing
        print(
            f"error: --engine spark could not start Spark (is Java installed?): {exc}",
            file=sys.stderr,
        )
        return 2
    try:
        people = spark.read_people(session, args.input)
        if args.match_command == "dedup":
            done = spark.dedup_frame(people, threshold=args.threshold)
            table, rejections = done.clusters, done.rejections
        else:
            found = spark.screen_frame(
                spark.read_people(session, args.list_file), people, threshold=args.threshold
            )
            _report(found.list_rejections, Path(args.list_file), None)
            table, rejections = found.hits, found.rejections
        _report(rejections, Path(args.input), args.rejections)
        if "://" in args.output:
            # A cluster's output: part files in a folder, as Spark writes them.
            table.write.option("header", True).mode("error").csv(args.output)
            rows = table.count()
        else:
            rows = 0
            with Path(args.output).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(table.columns)
                for row in table.toLocalIterator():
                    values = list(row)
                    if "score" in table.columns:
                        values[2] = f"{row['score']:.4f}"
                    writer.writerow(values)
                    rows += 1
    except Exception as exc:  # a missing input, an unreadable path: Spark's own errors
        if type(exc).__name__ != "AnalysisException":
            raise
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    what = "records" if args.match_command == "dedup" else "hits"
    print(f"{rows} {what} written, {len(rejections)} rows rejected (spark)", file=sys.stderr)
    return 0


def _screen(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return _spark(args)
    args.list_file, args.input = Path(args.list_file), Path(args.input)
    args.output = Path(args.output)
    from sulh.matching.unsc import read_list_file

    # A list is the batch CSV (with an optional aliases column) or the UN Security Council
    # consolidated list as published (XML); each error names the file it is about.
    try:
        entries, list_rejections = _read(read_list_file, args.list_file, "--list")
        records, rejections = _read(read_people_csv, args.input, "--input")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _report(list_rejections, args.list_file, None)
    _report(rejections, args.input, args.rejections)
    hits = screen(
        entries,
        records,
        threshold=args.threshold,
        progress=progress_bar("screen"),
        model=model_named(args.model),
    )
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "list_id", "score", "evidence"])
        writer.writerows((h.record_id, h.list_id, f"{h.score:.4f}", h.evidence) for h in hits)
    print(
        f"{len(records)} records screened against {len(entries)} entries: {len(hits)} hits",
        file=sys.stderr,
    )
    if args.expected_alerts:
        model = model_named(args.model)
        threshold = model.screen_threshold if args.threshold is None else args.threshold
        rate = alert_rate(hits, len(records), threshold=threshold, model=model)
        print(rate.line(), file=sys.stderr)
    return 0
