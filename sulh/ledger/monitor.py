"""The monitor's check, on the published files alone: what the public can check, and with
the openings (encrypted to an accredited monitor) every figure; the monitor's attestation,
and what anyone can check of it.

Nothing here needs the database or Django settings: a monitor runs it on the exported
files (leaves.jsonl, tree-head.json, the publication key, a bulletin, the packages).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.keys.monitors import MonitorKeyError, MonitorKeys, monitor_public_parse
from sulh.keys.signing import canonical, unb64u, verify_raw
from sulh.ledger.disclosure import Method, check_sections, program_figures_at
from sulh.ledger.leaves import commitment_of, leaf_commitment
from sulh.ledger.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_hashes,
    verify_consistency,
)
from sulh.ledger.openings import (
    PackageError,
    attestation_body,
    attestation_sign,
    attestation_verify,
    package_open,
)
from sulh.ledger.weapons import weapons_check

TOTALS_KEYS = frozenset({"as_of_size", "exact", "program"})


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    checked: int = 0
    opened: bool = False  # every figure was checked against the openings

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


class MonitorInputError(ValueError):
    """A file that is not what it should be: the check stops (exit 2), it proves nothing."""


def _json_file(path: Path, what: str, kind: type) -> Any:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MonitorInputError(f"{what} ({path}): cannot be read: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MonitorInputError(f"{what} ({path}): not JSON ({exc})") from exc
    if not isinstance(document, kind):
        found = type(document).__name__
        raise MonitorInputError(
            f"{what} ({path}): a JSON {'object' if kind is dict else kind.__name__} is "
            f"expected, this is a {found} (give one file, e.g. one bulletin-PROGRAM.json)"
        )
    return document


def _head_file(path: Path, what: str) -> dict[str, Any]:
    head = _json_file(path, what, dict)
    for name, kind in (("size", int), ("root_hash", str), ("timestamp", str), ("signature", str)):
        if not isinstance(head.get(name), kind):
            raise MonitorInputError(f"{what} ({path}): no {name} (a tree-head.json has one)")
    return head


def _publication_key(key: Path) -> ec.EllipticCurvePublicKey:
    try:
        public = serialization.load_pem_public_key(key.read_bytes())
    except (OSError, ValueError) as exc:
        raise MonitorInputError(f"the key ({key}): not a PEM public key") from exc
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise MonitorInputError(f"the key ({key}): not an ES256 (P-256) public key")
    return public


def _leaf_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitorInputError(f"the leaves ({path}): cannot be read: {exc}") from exc


def _public_leaves(report: CheckReport, lines: list[str]) -> list[dict[str, Any]]:
    """Each leaf is a commitment or a program's exact totals, and carries nothing else."""
    leaves: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        try:
            leaf = json.loads(line)
        except json.JSONDecodeError:
            leaf = None
        if not isinstance(leaf, dict):
            report.problems.append(f"leaf {index} is not a JSON object")
            leaves.append({})
            continue
        keys = set(leaf)
        if (keys == {"commitment"} and isinstance(leaf["commitment"], str)) or (
            keys == TOTALS_KEYS and isinstance(leaf["exact"], dict)
        ):
            pass
        else:
            report.problems.append(
                f"leaf {index} carries {sorted(keys)}: a public leaf carries a commitment, "
                "or a program's exact totals, and nothing else"
            )
        leaves.append(leaf)
    return leaves


def _totals(leaves: list[dict[str, Any]], program: str) -> list[tuple[int, dict[str, Any]]]:
    return [
        (index, leaf)
        for index, leaf in enumerate(leaves)
        if set(leaf) == TOTALS_KEYS and leaf.get("program") == program
    ]


def monitor_check(
    *,
    bulletin: Path,
    leaves: Path,
    tree_head: Path,
    key: Path,
    previous_head: Path | None = None,
    openings: Path | None = None,
    monitor_key: Path | None = None,
) -> CheckReport:
    """What the public can check (the head's signature, the root, consistency with an
    earlier head, the leaves' shape, and the exact totals against the log's totals leaves);
    with the openings and the monitor's key, every figure, recomputed and put through the
    published disclosure method. Raises MonitorInputError on a file that is not what it
    should be."""
    report = CheckReport()
    head = _head_file(tree_head, "the tree head")
    lines = _leaf_lines(leaves)
    public = _publication_key(key)
    published = _json_file(bulletin, "the bulletin", dict)
    program = published.get("program")
    if not isinstance(program, str) or "tree_head" not in published:
        raise MonitorInputError(f"the bulletin ({bulletin}): names no program or tree head")
    if not head_signed(head, public):
        report.problems.append("the tree head's signature does not verify")
    if len(lines) != head["size"]:
        report.problems.append(
            f"the log has {len(lines)} leaves, the tree head says {head['size']}"
        )
    hashes = [leaf_hash(line.encode("utf-8")) for line in lines]
    if root_from_hashes(hashes).hex() != head["root_hash"]:
        report.problems.append(
            "the leaves do not hash to the signed root: a leaf was removed, altered or added"
        )
    report.checked += 1
    if previous_head is not None:
        _check_consistency(
            report, _head_file(previous_head, "the earlier tree head"), head, public, hashes
        )
    public_leaves = _public_leaves(report, lines)
    if published.get("tree_head") != {"size": head["size"], "root_hash": head["root_hash"]}:
        report.problems.append("the bulletin names another tree head")
    _check_exact_public(report, published, _totals(public_leaves, program))
    if openings is None:
        return report
    if monitor_key is None:
        raise MonitorInputError("--openings needs --monitor-key (the monitor's private key)")
    records, secret = _records(report, openings, monitor_key, public_leaves, program)
    if secret is None:
        report.problems.append(f"the packages carry no disclosure key for {program}")
        return report
    _check_totals_leaves(report, records, public_leaves, program)
    _check_weapons(report, records, program)
    try:
        method = Method.from_dict(published.get("method"))
    except (TypeError, ValueError, KeyError) as exc:
        report.problems.append(
            f"method: the bulletin's disclosure method is not one this checker knows ({exc})"
        )
        return report
    differences = check_sections(
        records[: head["size"]], program=program, method=method, secret=secret, published=published
    )
    report.problems.extend(differences)
    report.checked += len(records)
    report.opened = True
    return report


def _check_exact_public(
    report: CheckReport, published: dict[str, Any], totals: list[tuple[int, dict[str, Any]]]
) -> None:
    """The exact totals a bulletin shows are the ones the log committed last for it."""
    exact = published.get("exact")
    if exact is None:
        if totals:
            report.problems.append("exact: the bulletin shows none, the log has totals for it")
        return
    if not totals:
        report.problems.append("exact: the bulletin shows exact totals the log never committed")
        return
    _, leaf = totals[-1]
    committed = {"as_of_size": leaf["as_of_size"], "figures": leaf["exact"]}
    report.checked += 1
    if exact != committed:
        report.problems.append(
            f"exact: published {exact}, the log's last totals for the program are {committed}"
        )


def _records(
    report: CheckReport,
    folder: Path,
    monitor_key: Path,
    leaves: list[dict[str, Any]],
    program: str,
) -> tuple[list[dict[str, Any] | None], bytes | None]:
    """The record of every commitment leaf, from the packages, each checked against its
    commitment; None for totals leaves."""
    try:
        keys = MonitorKeys.from_pem(monitor_key.read_bytes())
    except OSError as exc:
        raise MonitorInputError(f"the monitor key ({monitor_key}): cannot be read") from exc
    except MonitorKeyError as exc:
        raise MonitorInputError(f"the monitor key ({monitor_key}): {exc}") from exc
    paths = sorted(folder.glob("package-*.json")) if folder.is_dir() else []
    if not paths:
        raise MonitorInputError(f"the openings ({folder}): no package-*.json in that folder")
    records: list[dict[str, Any] | None] = [None] * len(leaves)
    opened = [False] * len(leaves)
    secret: bytes | None = None
    for path in paths:
        try:
            _, disclosure, items = package_open(_json_file(path, "a package", dict), keys)
        except PackageError as exc:
            report.problems.append(f"{path.name}: {exc}")
            continue
        secret = disclosure.get(program, secret)
        for item in items:
            index = item.get("index")
            if not isinstance(index, int) or not 0 <= index < len(leaves):
                report.problems.append(
                    f"{path.name}: an opening of leaf {index}, which the log does not have"
                )
                continue
            if opened[index]:
                report.problems.append(f"leaf {index} is opened twice")
                continue
            try:
                commitment = commitment_of(bytes.fromhex(item["salt"]), item["record"])
            except (KeyError, TypeError, ValueError):
                commitment = ""
            if commitment != leaf_commitment(leaves[index]):
                report.problems.append(f"leaf {index}: the opening does not match its commitment")
                continue
            opened[index] = True
            records[index] = item["record"]
    missing = [
        i for i, leaf in enumerate(leaves) if leaf_commitment(leaf) is not None and not opened[i]
    ]
    if missing:
        report.problems.append(
            f"{len(missing)} commitment leaves have no opening (the first: leaf {missing[0]})"
        )
    return records, secret


def _check_totals_leaves(
    report: CheckReport,
    records: list[dict[str, Any] | None],
    leaves: list[dict[str, Any]],
    program: str,
) -> None:
    """Every totals leaf of the program says the exact figures over the leaves before it."""
    totals = _totals(leaves, program)
    sizes = {
        leaf["as_of_size"]
        for index, leaf in totals
        if isinstance(leaf["as_of_size"], int) and 0 <= leaf["as_of_size"] <= index
    }
    at = program_figures_at(records, program=program, sizes=sizes)
    for index, leaf in totals:
        size = leaf["as_of_size"]
        if not isinstance(size, int) or size not in sizes or size > index:
            report.problems.append(f"leaf {index}: totals as of size {size}, after the leaf itself")
            continue
        exact = at[size]
        for name, value in leaf["exact"].items():
            report.checked += 1
            if exact.get(name) != value:
                report.problems.append(
                    f"leaf {index}: exact {name} as of size {size} says {value}, "
                    f"the records give {exact.get(name)}"
                )


def _check_weapons(report: CheckReport, records: list[dict[str, Any] | None], program: str) -> None:
    """The program's weapons figures are what its custody entries give, and add up
    (``sulh.ledger.weapons``)."""
    checked, problems = weapons_check(records, program=program)
    report.checked += checked
    report.problems.extend(problems)


def monitor_attest(
    *,
    bulletin: Path,
    tree_head: Path,
    report: CheckReport,
    monitor_key: Path,
    monitor: str,
    at: str,
) -> dict[str, Any]:
    """Sign that this bulletin agrees with the log, once a check with the openings found
    nothing wrong."""
    if not report.ok or not report.opened:
        raise MonitorInputError("the check with the openings must pass before attesting")
    keys = MonitorKeys.from_pem(monitor_key.read_bytes())
    published = _json_file(bulletin, "the bulletin", dict)
    head = _head_file(tree_head, "the tree head")
    body = attestation_body(
        monitor=monitor,
        program=published["program"],
        bulletin_sha256=hashlib.sha256(canonical(published)).hexdigest(),
        tree_head=head,
        checked=report.checked,
        at=at,
    )
    return attestation_sign(body, keys)


def attestation_check(
    *,
    attestation: Path,
    monitor_public: Path,
    bulletin: Path,
    tree_head: Path,
    key: Path,
    previous_head: Path | None = None,
    consistency: Path | None = None,
) -> CheckReport:
    """What anyone can check of an attestation: the monitor's signature, that it names this
    bulletin and this signed head, and (given the earlier head and a consistency proof from
    it, ``sulh ledger proof consistency``) that the log only grew since."""
    report = CheckReport()
    document = _json_file(attestation, "the attestation", dict)
    try:
        public_doc = monitor_public_parse(
            _json_file(monitor_public, "the monitor's public key", dict)
        )
    except MonitorKeyError as exc:
        raise MonitorInputError(f"the monitor's public key ({monitor_public}): {exc}") from exc
    published = _json_file(bulletin, "the bulletin", dict)
    head = _head_file(tree_head, "the tree head")
    public = _publication_key(key)
    checks = [
        (
            attestation_verify(document, public_doc),
            "the attestation's signature does not verify with the monitor's key",
        ),
        (
            document.get("bulletin_sha256") == hashlib.sha256(canonical(published)).hexdigest(),
            "the attestation names another bulletin",
        ),
        (head_signed(head, public), "the tree head's signature does not verify"),
        (
            document.get("tree_head") == {"size": head["size"], "root_hash": head["root_hash"]},
            "the attestation names another tree head",
        ),
        (
            published.get("tree_head") == {"size": head["size"], "root_hash": head["root_hash"]},
            "the bulletin names another tree head",
        ),
    ]
    for ok, problem in checks:
        report.checked += 1
        if not ok:
            report.problems.append(problem)
    if previous_head is not None:
        if consistency is None:
            raise MonitorInputError("--previous-head needs --consistency (the proof from it)")
        old = _head_file(previous_head, "the earlier tree head")
        proof = _json_file(consistency, "the consistency proof", dict)
        report.checked += 1
        try:
            path = [bytes.fromhex(h) for h in proof["proof"]]
            agrees = (
                proof.get("old_size") == old["size"]
                and proof.get("tree_size") == head["size"]
                and head_signed(old, public)
                and verify_consistency(
                    old["size"], head["size"], bytes.fromhex(old["root_hash"]),
                    bytes.fromhex(head["root_hash"]), path,
                )
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            agrees = False
        if not agrees:
            report.problems.append(
                "the log was rewritten since the earlier tree head: the consistency proof fails"
            )
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


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
