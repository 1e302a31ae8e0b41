"""The two tiers: the public checks what it can, an enrolled monitor with its openings
checks every figure, attests, and anyone checks the attestation; every lie is caught."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest

from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cli import main
from sulh.core.validation import parse
from sulh.keys.signing import b64u, unb64u
from sulh.registry.schemas import IntakeIn
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
PROGRAM = "aleppo-2016-amnesty"


def _day(personas, day: int, people: int) -> None:
    when = dt.datetime(2016, 8, day, 9, tzinfo=dt.UTC)
    for i in range(people):
        payload = make_intake(PROGRAM, submitted_at=when, origin="local" if i % 3 else "non_local")
        clerk = personas["clerk" if i % 2 else "clerk2"]
        case = intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=when).case
        if case.state == "screened" and i % 4:
            destination = "idlib" if case.proposed_outcome == "departure" else ""
            case_services.decision_record(
                case=case,
                user=personas["decider"],
                outcome=case.proposed_outcome,
                reason="",
                destination=destination,
            )


def monitor_keys(folder: Path, name: str = "Independent Monitor") -> Path:
    assert main(["monitor", "keygen", "--name", name, "--out", str(folder)]) == 0
    return folder


def enrol(keys: Path) -> None:
    assert main(["card", "root-init", "--online"]) == 0
    assert main(["card", "enrol-monitor", "--public", str(keys / "monitor.pub.json")]) == 0


def publish(folder: Path, monitor: str = "Independent Monitor") -> Path:
    assert main(["ledger", "publish", "--force"]) == 0
    assert main(["ledger", "bulletin", "--program", PROGRAM, "--out", str(folder)]) == 0
    assert (
        main(["ledger", "monitor-package", "--monitor", monitor, "--out", str(folder / "openings")])
        == 0
    )
    return folder


def check(folder: Path, keys: Path | None = None, previous: Path | None = None) -> int:
    argv = [
        "monitor", "check", "--bulletin", str(folder / f"bulletin-{PROGRAM}.json"),
        "--leaves", str(folder / "leaves.jsonl"), "--tree-head", str(folder / "tree-head.json"),
        "--key", str(folder / "ledger-key.pem"),
    ]  # fmt: skip
    if keys is not None:
        argv += ["--openings", str(folder / "openings"), "--monitor-key", str(keys / "monitor.key")]
    if previous is not None:
        argv += ["--previous-head", str(previous / "tree-head.json")]
    return main(argv)


@pytest.fixture
def keys(tmp_path):
    return monitor_keys(tmp_path / "monitor")


@pytest.fixture
def published(personas, programs, tmp_path, keys):
    enrol(keys)
    for day in (10, 11, 12):
        _day(personas, day, 8)
    return publish(tmp_path / "site")


def test_an_honest_bulletin_passes_in_public_and_with_the_openings(published, keys, capsys):
    assert check(published) == 0
    assert "perturbed figures need the openings" in capsys.readouterr().out
    assert check(published, keys) == 0
    assert "the openings and all" in capsys.readouterr().out


def test_public_leaves_carry_no_attribute_of_a_person_or_a_case(published):
    for line in (published / "leaves.jsonl").read_text().splitlines():
        leaf = json.loads(line)
        assert set(leaf) in ({"commitment"}, {"as_of_size", "exact", "program"}), leaf
    bulletin = json.loads((published / f"bulletin-{PROGRAM}.json").read_text())
    assert bulletin["method"]["name"].startswith("cell-key perturbation")
    shown = [
        value
        for name in ("figures", "children", "by_station", "by_sex", "by_age_band")
        for value in _numbers(bulletin[name])
    ]
    assert all(v is None or v == 0 or v >= bulletin["method"]["min_cell"] for v in shown)


def _numbers(section):
    if isinstance(section, dict):
        for value in section.values():
            yield from _numbers(value)
    else:
        yield section


def _edit_lines(path: Path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        lambda lines: lines[:5] + lines[6:],  # a leaf removed
        lambda lines: [lines[0].replace(lines[0][16:24], "00000000"), *lines[1:]],  # altered
        lambda lines: [*lines, lines[-1]],  # added
    ],
    ids=["removed", "altered", "added"],
)
def test_a_removed_altered_or_added_leaf_fails(published, keys, capsys, change):
    _edit_lines(published / "leaves.jsonl", change)
    assert check(published) == 1
    assert check(published, keys) == 1
    assert "DIFFERENCE" in capsys.readouterr().out


def _package(published: Path) -> Path:
    return sorted((published / "openings").glob("package-*.json"))[-1]


def _rewrite_openings(published: Path, keys: Path, change) -> None:
    """Re-encrypt a package to the monitor with its openings changed (what a dishonest
    site could do: it holds the monitor's public key)."""
    from sulh.keys.monitors import MonitorKeys
    from sulh.ledger.openings import package_open, package_seal

    path = _package(published)
    document = json.loads(path.read_text())
    private = MonitorKeys.from_pem((keys / "monitor.key").read_bytes())
    header, disclosure, items = package_open(document, private)
    public = json.loads((keys / "monitor.pub.json").read_text())
    sealed = package_seal(
        header=header, disclosure=disclosure, openings=change(list(items)), monitor_public=public
    )
    path.write_text(json.dumps(sealed))


@pytest.mark.parametrize(
    "change",
    [
        lambda items: items[1:],  # an opening removed
        lambda items: [{**items[0], "record": {**items[0]["record"], "sex": "female"}}, *items[1:]],
        lambda items: [*items, items[0]],  # an opening added (twice)
    ],
    ids=["removed", "altered", "added"],
)
def test_a_removed_altered_or_added_opening_fails(published, keys, capsys, change):
    _rewrite_openings(published, keys, change)
    assert check(published, keys) == 1
    assert "DIFFERENCE" in capsys.readouterr().out


def test_a_package_changed_in_transit_does_not_open(published, keys, capsys):
    path = _package(published)
    document = json.loads(path.read_text())
    document["first"] = 1  # the clear header is bound to the ciphertext
    path.write_text(json.dumps(document))
    assert check(published, keys) == 1
    assert "does not open" in capsys.readouterr().out


def test_a_changed_figure_fails_with_the_openings(published, keys, capsys):
    path = published / f"bulletin-{PROGRAM}.json"
    bulletin = json.loads(path.read_text())
    station = next(iter(bulletin["by_station"]))
    row = bulletin["by_station"][station]
    row["registered"] = (row["registered"] or 0) + 7
    path.write_text(json.dumps(bulletin))
    assert check(published) == 0  # the public cannot see a perturbed figure's truth
    capsys.readouterr()
    assert check(published, keys) == 1
    assert f"by_station.{station}.registered" in capsys.readouterr().out


def test_a_changed_exact_total_fails_in_public(published, capsys):
    path = published / f"bulletin-{PROGRAM}.json"
    bulletin = json.loads(path.read_text())
    assert bulletin["exact"] is not None
    bulletin["exact"]["figures"]["registered"] += 1
    path.write_text(json.dumps(bulletin))
    assert check(published) == 1
    assert "exact" in capsys.readouterr().out


def test_a_log_rewritten_between_two_heads_fails(personas, programs, tmp_path, keys, capsys):
    from sulh.ledger.merkle import leaf_hash
    from sulh.ledger.models import LedgerLeaf, LedgerNodes

    enrol(keys)
    _day(personas, 10, 8)
    first = publish(tmp_path / "first")
    _day(personas, 11, 8)
    second = publish(tmp_path / "second")
    assert check(second, keys, previous=first) == 0
    # The site rewrites an old leaf and signs a new head over the rewritten log.
    row = LedgerLeaf.objects.get(index=0)
    row.leaf = json.dumps({"commitment": "0" * 64}, separators=(",", ":"))
    row.leaf_hash = leaf_hash(row.leaf.encode()).hex()
    row.save()
    LedgerNodes.objects.all().delete()  # and has the stored tree levels built again from it
    _day(personas, 12, 8)
    third = publish(tmp_path / "third")
    capsys.readouterr()
    assert check(third, previous=second) == 1
    assert "rewritten" in capsys.readouterr().out


def test_the_monitor_attests_and_anyone_checks_the_attestation(published, keys, capsys):
    attestation = published / "attestation.json"
    argv = [
        "monitor", "attest", "--bulletin", str(published / f"bulletin-{PROGRAM}.json"),
        "--leaves", str(published / "leaves.jsonl"),
        "--tree-head", str(published / "tree-head.json"),
        "--key", str(published / "ledger-key.pem"), "--openings", str(published / "openings"),
        "--monitor-key", str(keys / "monitor.key"), "--monitor", "Independent Monitor",
        "--out", str(attestation),
    ]  # fmt: skip
    assert main(argv) == 0
    verify = [
        "monitor", "verify-attestation", "--attestation", str(attestation),
        "--monitor-public", str(keys / "monitor.pub.json"),
        "--bulletin", str(published / f"bulletin-{PROGRAM}.json"),
        "--tree-head", str(published / "tree-head.json"),
        "--key", str(published / "ledger-key.pem"),
    ]  # fmt: skip
    assert main(verify) == 0
    document = json.loads(attestation.read_text())
    document["checked"] += 1
    attestation.write_text(json.dumps(document))
    assert main(verify) == 1
    other = monitor_keys(published / "other", name="Independent Monitor")
    document["checked"] -= 1
    attestation.write_text(json.dumps(document))
    verify[verify.index("--monitor-public") + 1] = str(other / "monitor.pub.json")
    assert main(verify) == 1
    assert "signature does not verify" in capsys.readouterr().out


def test_a_file_that_is_not_what_it_should_be_is_an_error_not_a_traceback(published, keys, capsys):
    bulletin = published / f"bulletin-{PROGRAM}.json"
    bulletin.write_text(json.dumps([json.loads(bulletin.read_text())]))
    assert check(published) == 2
    out = capsys.readouterr().out
    assert out.startswith("error: the bulletin") and "a list" in out
    (published / "tree-head.json").write_text("{}")
    assert check(published) == 2


def test_openings_never_leave_the_site_in_clear(published, keys):
    text = "".join(p.read_text() for p in (published / "openings").glob("*.json"))
    for leaked in ('"station"', '"link"', '"sex"', "alp-", "registered"):
        assert leaked not in text
    raw = unb64u(json.loads(_package(published).read_text())["ciphertext"])
    assert b"station" not in raw and base64 and b64u  # ciphertext only
