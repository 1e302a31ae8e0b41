"""Figures recomputed from the public log alone, small-cell suppression, and the monitor's check.

Nothing here needs the database or Django settings: a monitor runs it on the
exported files (leaves.jsonl, tree-head.json, the public key, a bulletin).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.keys import canonical, unb64u, verify_raw
from sulh.ledger.merkle import leaf_hash, root_from_hashes

FIGURES = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
PARTS = FIGURES[1:]
_OUTCOME_FIGURE = {
    "amnesty": "amnesty_granted",
    "departure": "departure",
    "referral": "referred",
    "denial": "denied",
}
STANDING_EVENTS = frozenset({"decision_taken", "appealed", "eligibility_revoked"})


def figures_from_leaves(leaves: list[dict[str, Any]], *, program: str) -> dict[str, Any]:
    """Each registered case counts once: under its standing decision's outcome, else pending."""
    station_of: dict[str, str] = {}
    standing: dict[str, str] = {}
    for leaf in leaves:
        if leaf.get("program") != program:
            continue
        case = leaf["case"]
        if leaf["event"] == "registered":
            station_of[case] = leaf["station"]
        elif leaf["event"] in STANDING_EVENTS:
            outcome = leaf.get("outcome", "") if leaf["event"] == "decision_taken" else ""
            standing[case] = _OUTCOME_FIGURE.get(outcome, "pending")
    totals: Counter[str] = Counter(dict.fromkeys(FIGURES, 0))
    by_station: dict[str, Counter[str]] = {}
    for case, station in station_of.items():
        figure = standing.get(case, "pending")
        row = by_station.setdefault(station, Counter(dict.fromkeys(FIGURES, 0)))
        for counter in (totals, row):
            counter["registered"] += 1
            counter[figure] += 1
    return {
        "figures": dict(totals),
        "by_station": {s: dict(c) for s, c in sorted(by_station.items())},
    }


def suppress(row: dict[str, int], *, min_cell: int) -> dict[str, int | None]:
    """Cells below ``min_cell`` become None; when a single part is hidden, the next smallest
    is hidden too, so that the row's total cannot give it away (complementary suppression)."""
    shown: dict[str, int | None] = dict(row)
    hidden = [part for part in PARTS if 0 < row[part] < min_cell]
    if len(hidden) == 1:
        others = sorted((row[p], p) for p in PARTS if p not in hidden and row[p] > 0)
        if others:
            hidden.append(others[0][1])
        else:
            shown["registered"] = None
    for part in hidden:
        shown[part] = None
    if 0 < row["registered"] < min_cell:
        shown["registered"] = None
    return shown


def bulletin_from_leaves(
    leaves: list[dict[str, Any]],
    *,
    program: str,
    min_cell: int,
    tree_head: dict[str, Any],
    day: str,
) -> dict[str, Any]:
    computed = figures_from_leaves(leaves, program=program)
    return {
        "program": program,
        "day": day,
        "tree_head": {"size": tree_head["size"], "root_hash": tree_head["root_hash"]},
        "min_cell": min_cell,
        "figures": computed["figures"],  # program totals are published whole
        "by_station": {
            s: suppress(row, min_cell=min_cell) for s, row in computed["by_station"].items()
        },
    }


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def monitor_check(*, bulletin: Path, leaves: Path, tree_head: Path, key: Path) -> CheckReport:
    report = CheckReport()
    head = json.loads(tree_head.read_text(encoding="utf-8"))
    lines = leaves.read_text(encoding="utf-8").splitlines()
    public = serialization.load_pem_public_key(key.read_bytes())
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return CheckReport(["the key is not an ES256 (P-256) public key"])
    body = {"size": head["size"], "root_hash": head["root_hash"], "timestamp": head["timestamp"]}
    if not verify_raw(public, unb64u(head["signature"]), canonical(body)):
        report.problems.append("the tree head's signature does not verify")
    if len(lines) != head["size"]:
        report.problems.append(
            f"the log has {len(lines)} leaves, the tree head says {head['size']}"
        )
    root = root_from_hashes([leaf_hash(line.encode("utf-8")) for line in lines]).hex()
    if root != head["root_hash"]:
        report.problems.append(
            "the leaves do not hash to the signed root: a leaf was removed, altered or added"
        )
    published = json.loads(bulletin.read_text(encoding="utf-8"))
    if published.get("tree_head") != {"size": head["size"], "root_hash": head["root_hash"]}:
        report.problems.append("the bulletin names another tree head")
    expected = bulletin_from_leaves(
        [json.loads(line) for line in lines],
        program=published["program"],
        min_cell=published.get("min_cell", 5),
        tree_head=head,
        day=published.get("day", ""),
    )
    _compare(report, "figures", published.get("figures", {}), expected["figures"])
    for station, row in expected["by_station"].items():
        _compare(
            report, f"by_station.{station}", published.get("by_station", {}).get(station, {}), row
        )
    return report


def _compare(
    report: CheckReport, where: str, published: dict[str, Any], expected: dict[str, Any]
) -> None:
    for name, value in expected.items():
        if value is None:
            continue
        report.checked += 1
        if published.get(name) != value:
            report.problems.append(
                f"{where}.{name}: published {published.get(name)}, the log gives {value}"
            )


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
