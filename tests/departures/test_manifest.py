"""The manifest: headcounts by category per vehicle; at departure each vehicle's list
sealed, its hash in the log, a copy the enrolled monitor opens and checks against the log
leaf; no name in the database file, the logs, the audit trail or the figures; handing a
list to another party only as a release a second export officer approved."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3

import pytest
from django.db import connection

from sulh.audit.models import AuditEntry
from sulh.bulletins.figures import program_figures
from sulh.cli import main
from sulh.core.errors import SulhError
from sulh.departures import manifests, movement
from sulh.departures.manifest import ManifestError, copy_open, manifest_verify
from sulh.departures.models import ManifestCopy, ManifestRelease, SealedManifest
from sulh.departures.records import departures_reconcile
from sulh.keys.monitors import MonitorKeys
from sulh.keys.services import monitor_enrol
from sulh.ledger.models import LedgerLeaf
from sulh.ledger.publication import live_records
from tests.departures.conftest import AT, MEMBER_LAT, PERSON_AR, PERSON_LAT, SAFE_PASSAGE, refused

pytestmark = pytest.mark.django_db


def test_it_counts_each_vehicle_by_category(departed):
    made, orders = departed
    by_number = {v.number: v for v in manifests.vehicle_manifests(convoy=made)}
    assert by_number[1].orders == [orders[0].pk]
    assert by_number[1].placed == {"fighters": 1, "family_members": 1, "children": 2, "wounded": 1}
    assert by_number[1].boarded == {"fighters": 1, "family_members": 0, "children": 2, "wounded": 1}
    assert by_number[2].boarded == {"fighters": 1, "family_members": 0, "children": 0, "wounded": 0}


def test_it_seals_each_vehicle_and_logs_the_hash_and_the_counts(departed):
    made, _ = departed
    sealed = {m.vehicle.number: m for m in SealedManifest.objects.filter(convoy=made)}
    assert sorted(sealed) == [1, 2]
    records = [r for r in live_records() if r and r.get("convoy") == made.pk]
    vehicle_1 = next(r for r in records if r["event"] == "vehicle_departed" and r["vehicle"] == 1)
    assert vehicle_1["manifest"] == sealed[1].sha256
    assert (vehicle_1["manifested"], vehicle_1["boarded"], vehicle_1["no_show"]) == (4, 3, 1)
    summary = next(r for r in records if r["event"] == "convoy_departed")
    assert (summary["orders"], summary["vehicles"], summary["fighters"]) == (2, 2, 2)
    assert not any(PERSON_LAT in json.dumps(r) for r in live_records() if r)


def test_the_monitor_opens_its_copy_and_proves_who_was_on_the_vehicle(departed, monitor_keys):
    made, _ = departed
    copy = ManifestCopy.objects.get(manifest__vehicle__number=1, manifest__convoy=made)
    document = json.loads(copy.document)
    assert PERSON_LAT not in copy.document and MEMBER_LAT not in copy.document
    header, manifest, opening = copy_open(document, monitor_keys)
    leaf = json.loads(LedgerLeaf.objects.get(index=header["leaf_index"]).leaf)
    assert manifest_verify(manifest, opening, leaf=leaf, sha256=header["manifest_sha256"])
    names = {t["name_lat"]: t["status"] for t in manifest["travellers"]}
    assert names[MEMBER_LAT] == "no_show"
    assert any(PERSON_LAT in t["name_lat"] and t["status"] == "boarded" for t in
               manifest["travellers"])  # fmt: skip
    # another name slipped in, another leaf, another key: each fails
    forged = {**manifest, "travellers": [*manifest["travellers"], {"name_lat": "Someone Else"}]}
    with pytest.raises(ManifestError, match="hash"):
        manifest_verify(forged, opening, leaf=leaf)
    other = json.loads(LedgerLeaf.objects.get(index=header["leaf_index"] - 1).leaf)
    with pytest.raises(ManifestError, match="commitment"):
        manifest_verify(manifest, opening, leaf=other)
    with pytest.raises(ManifestError, match="does not open"):
        copy_open(document, MonitorKeys.generate())
    with pytest.raises(ManifestError, match="does not open"):
        copy_open({**document, "vehicle": 2}, monitor_keys)


def test_the_monitor_checks_a_copy_on_its_own_machine(departed, monitor_keys, tmp_path, capsys):
    made, _ = departed
    copy = ManifestCopy.objects.get(manifest__vehicle__number=1, manifest__convoy=made)
    (tmp_path / "copy.json").write_text(copy.document)
    (tmp_path / "monitor.key").write_bytes(monitor_keys.to_pem())
    leaves = LedgerLeaf.objects.order_by("index").values_list("leaf", flat=True)
    (tmp_path / "leaves.jsonl").write_text("\n".join(leaves) + "\n")
    args = ["departures", "open-manifest", str(tmp_path / "copy.json"),
            "--monitor-key", str(tmp_path / "monitor.key")]  # fmt: skip
    assert main([*args, "--leaves", str(tmp_path / "leaves.jsonl")]) == 0
    printed = capsys.readouterr().out
    assert "4 on the manifest, 3 boarded" in printed and "agrees with log leaf" in printed
    assert MEMBER_LAT not in printed  # names only when asked
    assert main([*args, "--show"]) == 0
    assert MEMBER_LAT in capsys.readouterr().out
    (tmp_path / "other.key").write_bytes(MonitorKeys.generate().to_pem())
    assert main([*args[:3], "--monitor-key", str(tmp_path / "other.key")]) == 2
    assert "does not open" in capsys.readouterr().out


def test_a_monitor_enrolled_later_gets_copies_of_what_was_sealed(departed):
    later = MonitorKeys.generate()
    monitor_enrol(public=later.public("Later monitor"))
    copies = manifests.manifest_copies(monitor="Later monitor")
    assert len(copies) == 2
    _, manifest, opening = copy_open(copies[0], later)
    manifest_verify(manifest, opening)
    refused("monitor", manifests.manifest_copies, monitor="Nobody")


def test_no_name_is_in_the_audit_trail_the_logs_or_the_figures(departed, caplog):
    made, _ = departed
    caplog.set_level(logging.DEBUG)
    movement.incident_record(
        convoy=made, user=made.created_by, kind="stranded", at=AT + dt.timedelta(hours=1)
    )
    figures = program_figures(program_code=SAFE_PASSAGE)
    trail = json.dumps([[e.action, e.details] for e in AuditEntry.objects.all()])
    for name in (PERSON_AR, PERSON_LAT, MEMBER_LAT):
        assert name not in trail
        assert name not in caplog.text
        assert name not in json.dumps(figures, ensure_ascii=False)


@pytest.mark.django_db(transaction=True)
def test_no_name_is_in_the_database_file(departed, tmp_path):
    made, _ = departed
    copy = tmp_path / "copy.sqlite3"
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite file byte by byte (tests/trust reads PostgreSQL's)")
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    raw = copy.read_bytes()
    assert SealedManifest.objects.filter(convoy=made).count() == 2  # the list is in there
    for name in (PERSON_AR, PERSON_LAT, MEMBER_LAT):
        assert name.encode() not in raw


@pytest.mark.usefixtures("departed")
def test_the_departure_figures_reconcile_from_the_log():
    figures = program_figures(program_code=SAFE_PASSAGE)["departures"]
    assert figures == {
        "orders": 2, "manifested": 5, "boarded": 4, "no_show": 1, "departed": 4,
        "arrived": 0, "removed": 0, "returned": 0, "unaccounted": 4, "convoys": 1,
    }  # fmt: skip
    assert departures_reconcile(figures)


# --- Release to another party ---------------------------------------------------------------


def _released() -> list:
    return list(
        ManifestRelease.objects.order_by("pk").values_list(
            "pk", "approved_by", "approved_at", "written_at"
        )
    )


def test_a_list_is_handed_over_only_after_a_second_officer_approves(personas, departed):
    made, _ = departed
    manager, admin = personas["manager"], personas["admin"]
    release = manifests.release_request(
        user=manager, convoy=made, recipient="ICRC delegation", purpose="tracing the removed"
    )
    before = _released()
    refused("user", manifests.release_approve, release=release, user=manager)
    refused("release", manifests.release_write, release=release, user=manager)
    assert _released() == before
    manifests.release_approve(release=release, user=admin)
    refused("user", manifests.release_write, release=release, user=admin)
    documents = manifests.release_write(release=release, user=manager)
    assert [d["vehicle"] for d in documents] == [1, 2]
    assert any(t["name_lat"] == MEMBER_LAT for t in documents[0]["travellers"])
    refused("release", manifests.release_write, release=release, user=manager)
    actions = list(
        AuditEntry.objects.filter(action__startswith="manifest_release").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "manifest_release_requested",
        "manifest_release_approved",
        "manifest_release_written",
    ]


def test_a_release_names_its_recipient_purpose_and_a_vehicle_of_the_convoy(
    personas, departed, convoy
):
    made, _ = departed
    manager = personas["manager"]
    other = convoy(vehicles=(5,))
    good = {"user": manager, "convoy": made, "recipient": "ICRC", "purpose": "tracing the removed"}
    refused("purpose", manifests.release_request, **{**good, "purpose": "list"})
    refused("recipient", manifests.release_request, **{**good, "recipient": " "})
    refused("vehicle", manifests.release_request, **good, vehicle=other.vehicles.get())
    refused("convoy", manifests.release_request, **{**good, "convoy": other})
    with pytest.raises(SulhError) as caught:
        manifests.release_request(**{**good, "user": personas["coordinator"]})
    assert caught.value.field == "user"
    assert ManifestRelease.objects.count() == 0
