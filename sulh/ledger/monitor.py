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

from sulh.keys.signing import canonical, unb64u, verify_raw
from sulh.ledger.leaves import CORRIDOR_EVENT, DUPLICATE_EVENT
from sulh.ledger.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_hashes,
    verify_consistency,
)

FIGURES = ("registered", "amnesty_granted", "departure", "referred", "denied", "pending")
PARTS = FIGURES[1:]
_OUTCOME_FIGURE = {
    "amnesty": "amnesty_granted",
    "departure": "departure",
    "referral": "referred",
    "denial": "denied",
}
STANDING_EVENTS = frozenset({"decision_taken", "appealed", "eligibility_revoked"})
BULLETIN_FORMAT = "sulh-bulletin/1"
SECTIONS = ("figures", "children", "by_station", "by_sex", "by_age_band", "by_day", "corridor")


def _row() -> Counter[str]:
    return Counter(dict.fromkeys(FIGURES, 0))


def figures_from_leaves(leaves: list[dict[str, Any]], *, program: str) -> dict[str, Any]:
    """Each registered case counts once: under its standing decision's outcome, else pending.
    A registration closed as a duplicate of another (the same person registered twice)
    counts nowhere, nor do its decisions: the person counts once, under the survivor.

    Children (under 18 or of disputed age) are counted apart, in ``children``, and in
    no other figure. Corridor tallies are summed per day and crossing point.
    """
    registered: dict[str, dict[str, str]] = {}
    standing: dict[str, str] = {}
    decisions: list[tuple[str, str]] = []  # (case, day)
    closed: set[str] = set()
    corridor: dict[str, Counter[str]] = {}
    for leaf in leaves:
        if leaf.get("program") != program:
            continue
        event = leaf["event"]
        if event == CORRIDOR_EVENT:
            corridor.setdefault(leaf["day"], Counter())[leaf["station"]] += int(leaf["count"])
            continue
        case = leaf["case"]
        if event == "registered":
            registered[case] = leaf
        elif event == DUPLICATE_EVENT:
            closed.add(case)
        elif event in STANDING_EVENTS:
            outcome = leaf.get("outcome", "") if event == "decision_taken" else ""
            standing[case] = _OUTCOME_FIGURE.get(outcome, "pending")
            if event == "decision_taken":
                decisions.append((case, leaf["day"]))
    decided_on: Counter[str] = Counter(
        day
        for case, day in decisions
        if case not in closed and registered.get(case, {}).get("age_band") != "child"
    )
    for case in closed:
        registered.pop(case, None)
    totals, children = _row(), _row()
    groups: dict[str, dict[str, Counter[str]]] = {"station": {}, "sex": {}, "age_band": {}}
    by_day: dict[str, Counter[str]] = {}
    for case, leaf in registered.items():
        figure = standing.get(case, "pending")
        rows = [children]
        if leaf.get("age_band") != "child":
            rows = [totals]
            for name, group in groups.items():
                rows.append(group.setdefault(leaf.get(name) or "unknown", _row()))
            by_day.setdefault(leaf["day"], Counter())["registered"] += 1
        for row in rows:
            row["registered"] += 1
            row[figure] += 1
    for day, count in decided_on.items():
        by_day.setdefault(day, Counter())["decided"] += count
    return {
        "figures": dict(totals),
        "children": dict(children),
        **{
            f"by_{name}": {key: dict(row) for key, row in sorted(group.items())}
            for name, group in groups.items()
        },
        "by_day": {
            day: {"registered": row["registered"], "decided": row["decided"]}
            for day, row in sorted(by_day.items())
        },
        "corridor": {day: dict(sorted(row.items())) for day, row in sorted(corridor.items())},
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


def suppress_column(
    rows: dict[str, dict[str, int]], *, figure: str, min_cell: int
) -> dict[str, dict[str, int | None]]:
    """Hide small cells of one figure down a column whose total is published (e.g. days):
    when a single cell is hidden, the next smallest is hidden with it."""
    shown: dict[str, dict[str, int | None]] = {key: dict(row) for key, row in rows.items()}
    hidden = [key for key, row in rows.items() if 0 < row[figure] < min_cell]
    if len(hidden) == 1:
        others = sorted((row[figure], key) for key, row in rows.items() if key not in hidden)
        others = [pair for pair in others if pair[0] > 0]
        if others:
            hidden.append(others[0][1])
    for key in hidden:
        shown[key][figure] = None
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
    by_day = suppress_column(computed["by_day"], figure="registered", min_cell=min_cell)
    by_day = suppress_column(by_day, figure="decided", min_cell=min_cell)  # type: ignore[arg-type]
    return {
        "format": BULLETIN_FORMAT,
        "program": program,
        "day": day,
        "tree_head": {"size": tree_head["size"], "root_hash": tree_head["root_hash"]},
        "min_cell": min_cell,
        "figures": suppress(computed["figures"], min_cell=min_cell),
        "children": suppress(computed["children"], min_cell=min_cell),
        **{
            name: {key: suppress(row, min_cell=min_cell) for key, row in computed[name].items()}
            for name in ("by_station", "by_sex", "by_age_band")
        },
        "by_day": by_day,
        "corridor": computed["corridor"],  # counts of crossings, not of people's cases
    }


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def head_body(head: dict[str, Any]) -> dict[str, Any]:
    """What a tree head's signature covers: size, root, time, and (on heads that anchor the
    audit trail) the audit chain's head."""
    body = {"size": head["size"], "root_hash": head["root_hash"], "timestamp": head["timestamp"]}
    if "audit_seq" in head:
        body.update(audit_seq=head["audit_seq"], audit_hash=head["audit_hash"])
    return body


def head_signed(head: dict[str, Any], public: ec.EllipticCurvePublicKey) -> bool:
    body = head_body(head)
    return verify_raw(public, unb64u(head["signature"]), canonical(body))


def monitor_check(
    *,
    bulletin: Path,
    leaves: Path,
    tree_head: Path,
    key: Path,
    previous_head: Path | None = None,
) -> CheckReport:
    """Recompute the signed root and every shown figure; with an earlier tree head, check with
    a consistency proof that the log only grew since (nothing before it was rewritten)."""
    report = CheckReport()
    head = json.loads(tree_head.read_text(encoding="utf-8"))
    lines = leaves.read_text(encoding="utf-8").splitlines()
    public = serialization.load_pem_public_key(key.read_bytes())
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return CheckReport(["the key is not an ES256 (P-256) public key"])
    if not head_signed(head, public):
        report.problems.append("the tree head's signature does not verify")
    if len(lines) != head["size"]:
        report.problems.append(
            f"the log has {len(lines)} leaves, the tree head says {head['size']}"
        )
    hashes = [leaf_hash(line.encode("utf-8")) for line in lines]
    root = root_from_hashes(hashes).hex()
    if root != head["root_hash"]:
        report.problems.append(
            "the leaves do not hash to the signed root: a leaf was removed, altered or added"
        )
    if previous_head is not None:
        earlier = json.loads(previous_head.read_text("utf-8"))
        _check_consistency(report, earlier, head, public, hashes)
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
    for section in SECTIONS:
        _compare(report, section, published.get(section), expected[section])
    return report


def _check_consistency(
    report: CheckReport,
    old: dict[str, Any],
    new: dict[str, Any],
    public: ec.EllipticCurvePublicKey,
    hashes: list[bytes],
) -> None:
    if not head_signed(old, public):
        report.problems.append("the earlier tree head's signature does not verify")
        return
    if old["size"] > new["size"]:
        report.problems.append("the log shrank since the earlier tree head")
        return
    if old["size"] == 0:
        return
    proof = consistency_proof(old["size"], hashes)
    report.checked += 1
    if not verify_consistency(
        old["size"],
        new["size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        proof,
    ):
        report.problems.append(
            "the log was rewritten since the earlier tree head: the consistency proof fails"
        )


def _compare(report: CheckReport, where: str, published: Any, expected: Any) -> None:
    """Walk the expected figures; every shown (not suppressed) number must be published as is."""
    if isinstance(expected, dict):
        published = published if isinstance(published, dict) else {}
        for name, value in expected.items():
            _compare(report, f"{where}.{name}", published.get(name), value)
        for name in published.keys() - expected.keys():
            report.problems.append(f"{where}.{name}: published, but the log has no such figure")
        return
    if expected is None:
        return
    report.checked += 1
    if published != expected:
        report.problems.append(f"{where}: published {published}, the log gives {expected}")


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
