"""``sulh departures ...``: on the site, the copies of the sealed manifests for a monitor
and the stranded-convoy check (run it every few minutes, like the other workers); on a
monitor's own machine (no database), opening a copy and checking it against the log."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    departures = subparsers.add_parser("departures", help="sealed manifests and convoy checks")
    commands = departures.add_subparsers(dest="departures_command", metavar="ACTION", required=True)
    copies = commands.add_parser(
        "manifest-copies", help="write the sealed manifests' copies encrypted to a monitor"
    )
    copies.add_argument("--monitor", required=True, help="the monitor's enrolled name")
    copies.add_argument("--out", required=True, type=Path)
    copies.set_defaults(handler=_copies)
    stranded = commands.add_parser(
        "stranded-check", help="alert on convoys stranded longer than their program allows"
    )
    stranded.set_defaults(handler=_stranded)
    opened = commands.add_parser(
        "open-manifest",
        help="(a monitor's machine) open a manifest copy and check it against the log",
    )
    opened.add_argument("copy", type=Path, help="a manifest-CONVOY-VEHICLE.json copy")
    opened.add_argument("--monitor-key", required=True, type=Path, help="the private key (PEM)")
    opened.add_argument("--leaves", type=Path, help="leaves.jsonl of a published head")
    opened.add_argument("--show", action="store_true", help="print the names (default: counts)")
    opened.set_defaults(handler=_open)


def _copies(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.departures.manifests import manifest_copies

    args.out.mkdir(parents=True, exist_ok=True)
    documents = manifest_copies(monitor=args.monitor)
    for document in documents:
        name = f"manifest-{document['convoy']}-{document['vehicle']}.json"
        (args.out / name).write_text(json.dumps(document, sort_keys=True, indent=1))
    print(f"{len(documents)} manifest copies for {args.monitor} written to {args.out}")
    return 0


def _stranded(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils import timezone

    from sulh.departures.protection import stranded_overdue_alert

    raised = stranded_overdue_alert(now=timezone.now())
    print(f"convoys stranded over their program's limit, newly alerted: {raised}")
    return 0


def _open(args: argparse.Namespace) -> int:
    from sulh.departures.manifest import ManifestError, copy_open, manifest_verify
    from sulh.keys.monitors import MonitorKeyError, MonitorKeys

    try:
        keys = MonitorKeys.from_pem(args.monitor_key.read_bytes())
        header, manifest, opening = copy_open(json.loads(args.copy.read_text()), keys)
        leaf = None
        if args.leaves:
            lines = args.leaves.read_text(encoding="utf-8").splitlines()
            index = int(header["leaf_index"])
            if not 0 <= index < len(lines):
                raise ManifestError(f"leaf {index} is not in {args.leaves}: export a later head")
            leaf = json.loads(lines[index])
        digest = manifest_verify(manifest, opening, leaf=leaf, sha256=header["manifest_sha256"])
    except (OSError, ValueError, MonitorKeyError) as exc:
        print(f"error: {exc}")
        return 2
    where = f"log leaf {header['leaf_index']}" if leaf else "its log record (no leaves given)"
    travellers = manifest["travellers"]
    boarded = sum(t["status"] == "boarded" for t in travellers)
    print(
        f"convoy {manifest['convoy']} vehicle {manifest['vehicle']}: {len(travellers)} on the "
        f"manifest, {boarded} boarded; sha256 {digest} agrees with {where}"
    )
    if args.show:
        for t in travellers:
            print(f"  {t['traveller']}\t{t['serial']}\t{t['relation']}\t{t['name_ar']}\t"
                  f"{t['name_lat']}\t{t['status']}")  # fmt: skip
    return 0
