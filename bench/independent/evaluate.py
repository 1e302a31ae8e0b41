"""Score ``sulh match dedup`` and ``sulh match screen`` on the independent generator's files.

Runs the CLI as a user would (default threshold, model and workers) and prints a table.

    python -m bench.independent.evaluate --split report --size 30000
    python -m bench.independent.evaluate --data /tmp/ind-report     # files already generated

Rows the CLI rejects count as missed: a rejected registry record is its own cluster, a
rejected registrant raises no alert.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.independent import generator


def _sulh() -> str:
    here = Path(sys.executable).parent / "sulh"
    if here.exists():
        return str(here)
    found = shutil.which("sulh")
    if not found:
        raise SystemExit("sulh not found next to this Python or on PATH")
    return found


def _run(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([_sulh(), *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"sulh {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}"
        )
    return elapsed, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pairs(sizes) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def _rejections(path: Path) -> tuple[int, Counter]:
    if not path.exists():
        return 0, Counter()
    rows = _read(path)
    return len({r["row"] for r in rows}), Counter(
        f"{r['field']}: {r['message'][:60]}" for r in rows
    )


def score_dedup(data: Path, work: Path) -> dict:
    out, rej = work / "clusters.csv", work / "dedup_rejections.csv"
    elapsed, summary = _run(
        ["match", "dedup", "--input", str(data / "dedup" / "registry.csv"), "--output", str(out),
         "--rejections", str(rej)]
    )  # fmt: skip
    truth = {r["record_id"]: r["person_id"] for r in _read(data / "dedup" / "truth.csv")}
    cluster = {r["record_id"]: r["cluster_id"] for r in _read(out)}
    for rid in truth:
        cluster.setdefault(rid, "rejected:" + rid)
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for rid, cid in cluster.items():
        by_cluster[cid].append(rid)
    joint = Counter((cluster[rid], truth[rid]) for rid in truth)
    tp = _pairs(joint.values())
    pred = _pairs(len(v) for v in by_cluster.values())
    true = _pairs(Counter(truth.values()).values())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    largest = max(by_cluster.values(), key=len)
    rejected, reasons = _rejections(rej)
    return {
        "records": len(truth),
        "people": len(set(truth.values())),
        "seconds": round(elapsed, 1),
        "rejected_rows": rejected,
        "rejection_reasons": dict(reasons.most_common(5)),
        "true_pairs": true,
        "predicted_pairs": pred,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "largest_cluster": len(largest),
        "largest_cluster_people": len({truth[r] for r in largest}),
        "cli": summary,
    }


def _screen(data: Path, work: Path, queries: Path, name: str) -> tuple[dict, float, int, Counter]:
    out, rej = work / f"{name}_hits.csv", work / f"{name}_rejections.csv"
    elapsed, _ = _run(
        ["match", "screen", "--list", str(data / "screen" / "list.csv"), "--input", str(queries),
         "--output", str(out), "--rejections", str(rej)]
    )  # fmt: skip
    hits: dict[str, set[str]] = defaultdict(set)
    for r in _read(out):
        hits[r["record_id"]].add(r["list_id"])
    rejected, reasons = _rejections(rej)
    return hits, elapsed, rejected, reasons


def score_screen(data: Path, work: Path) -> dict:
    hits, elapsed, rejected, reasons = _screen(
        data, work, data / "screen" / "registrants.csv", "screen"
    )
    truth = _read(data / "screen" / "truth.csv")
    listed = [t for t in truth if t["kind"] == "listed"]
    unlisted = [t for t in truth if t["kind"] != "listed"]
    namesakes = [t for t in truth if t["kind"] == "namesake"]
    others = [t for t in truth if t["kind"] == "other"]
    siblings = [t for t in truth if t["kind"] == "sibling"]
    total_alerts = sum(len(v) for v in hits.values())

    def share(rows) -> float:
        return sum(1 for t in rows if hits.get(t["record_id"])) / len(rows) if rows else 0.0

    return {
        "registrants": len(truth),
        "seconds": round(elapsed, 1),
        "rejected_rows": rejected,
        "rejection_reasons": dict(reasons.most_common(5)),
        "listed_recall": sum(1 for t in listed if t["list_id"] in hits.get(t["record_id"], ()))
        / len(listed),
        "listed_alerted_wrong_entry_only": sum(
            1
            for t in listed
            if hits.get(t["record_id"]) and t["list_id"] not in hits[t["record_id"]]
        )
        / len(listed),
        "unlisted_alerted": share(unlisted),
        "namesakes_alerted": share(namesakes),
        "siblings_alerted": share(siblings),
        "other_unlisted_alerted": share(others),
        "alerts_per_1000": 1000 * total_alerts / len(truth),
        "max_alerts_one_registrant": max((len(v) for v in hits.values()), default=0),
    }


def score_arabic(data: Path, work: Path) -> dict:
    hits, elapsed, rejected, _ = _screen(data, work, data / "arabic" / "queries.csv", "arabic")
    truth = _read(data / "arabic" / "truth.csv")
    listed = [t for t in truth if t["kind"] == "listed"]
    bare = [t for t in listed if t["entry_has_arabic_alias"] == "0"]
    others = [t for t in truth if t["kind"] == "other"]

    def recall(rows) -> float:
        return (
            sum(1 for t in rows if t["list_id"] in hits.get(t["record_id"], ())) / len(rows)
            if rows
            else 0.0
        )

    return {
        "queries": len(listed),
        "seconds": round(elapsed, 1),
        "rejected_rows": rejected,
        "recall": recall(listed),
        "recall_entry_without_arabic_alias": recall(bare),
        "entries_without_arabic_alias": len(bare),
        "listed_queries_wrong_alert": sum(
            1 for t in listed if hits.get(t["record_id"], set()) - {t["list_id"]}
        )
        / len(listed),
        "unlisted_arabic_alerted": sum(1 for t in others if hits.get(t["record_id"])) / len(others),
    }


def _table(split: str, d: dict, s: dict, a: dict) -> str:
    rows = [
        ("dedup", "records / people", f"{d['records']:,} / {d['people']:,}"),
        ("dedup", "rows rejected by the CLI", f"{d['rejected_rows']:,}"),
        ("dedup", "pairwise precision", f"{d['precision']:.4f}"),
        ("dedup", "pairwise recall", f"{d['recall']:.4f}"),
        ("dedup", "pairwise F1", f"{d['f1']:.4f}"),
        ("dedup", "true / predicted pairs", f"{d['true_pairs']:,} / {d['predicted_pairs']:,}"),
        ("dedup", "largest cluster (records / people)",
         f"{d['largest_cluster']} / {d['largest_cluster_people']}"),
        ("dedup", "seconds", f"{d['seconds']}"),
        ("screen", "registrants (10 % listed)", f"{s['registrants']:,}"),
        ("screen", "rows rejected by the CLI", f"{s['rejected_rows']:,}"),
        ("screen", "recall of listed registrants", f"{s['listed_recall']:.4f}"),
        ("screen", "listed, alerted on a wrong entry only",
         f"{s['listed_alerted_wrong_entry_only']:.4f}"),
        ("screen", "unlisted registrants alerted", f"{s['unlisted_alerted']:.4f}"),
        ("screen", "  namesakes of listed people alerted", f"{s['namesakes_alerted']:.4f}"),
        ("screen", "  siblings of listed people alerted", f"{s['siblings_alerted']:.4f}"),
        ("screen", "  other unlisted alerted", f"{s['other_unlisted_alerted']:.4f}"),
        ("screen", "alerts per 1,000 registrants", f"{s['alerts_per_1000']:.1f}"),
        ("screen", "max alerts for one registrant", f"{s['max_alerts_one_registrant']}"),
        ("screen", "seconds", f"{s['seconds']}"),
        ("arabic", "queries (Latin-script entries)", f"{a['queries']:,}"),
        ("arabic", "recall Arabic -> Latin entry", f"{a['recall']:.4f}"),
        ("arabic", "  entries with no Arabic alias",
         f"{a['recall_entry_without_arabic_alias']:.4f} (n={a['entries_without_arabic_alias']})"),
        ("arabic", "listed queries alerting a wrong entry",
         f"{a['listed_queries_wrong_alert']:.4f}"),
        ("arabic", "unlisted Arabic queries alerted", f"{a['unlisted_arabic_alerted']:.4f}"),
    ]  # fmt: skip
    width = max(len(r[1]) for r in rows)
    lines = [f"independent matching evaluation, split {split!r}", ""]
    lines += [f"{a_:<7} {b:<{width}}  {c}" for a_, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(generator.SPLITS), default="report")
    ap.add_argument("--size", type=int, default=30_000)
    ap.add_argument("--data", type=Path, help="use files generated already")
    ap.add_argument("--keep", type=Path, help="keep generated files and CLI outputs here")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--skip-dedup", action="store_true")
    ap.add_argument(
        "--arabic-digits", type=float, default=0.1, help="as the generator's option (default 0.1)"
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sulh-independent-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = args.data
        if data is None:
            data = work / "data"
            generator.generate(args.split, data, args.size, 2_000, 20_000, args.arabic_digits)
        split = json.loads((data / "manifest.json").read_text(encoding="utf-8"))["split"]
        d = (
            score_dedup(data, work)
            if not args.skip_dedup
            else dict.fromkeys(
                ["records", "people", "rejected_rows", "true_pairs", "predicted_pairs",
                 "largest_cluster", "largest_cluster_people"], 0
            ) | {"precision": 0.0, "recall": 0.0, "f1": 0.0, "seconds": 0}
        )  # fmt: skip
        s = score_screen(data, work)
        a = score_arabic(data, work)
        print(_table(split, d, s, a))
        for name, part in (("dedup", d), ("screen", s)):
            if part.get("rejection_reasons"):
                print(f"\n{name} rejections by reason: {part['rejection_reasons']}")
        if args.json:
            args.json.write_text(
                json.dumps({"split": split, "dedup": d, "screen": s, "arabic": a}, indent=2) + "\n",
                encoding="utf-8",
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
