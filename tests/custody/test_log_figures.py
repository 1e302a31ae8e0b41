"""Custody in the transparency log: each entry as a record with no person in it, the
daily weapons figures, and the monitor's recount (``sulh monitor check`` with the
openings), which fails when an entry is removed or an item's state changed without one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection

from sulh.cli import main
from sulh.custody import services
from sulh.custody.log import figures_log, program_weapons
from sulh.custody.models import CustodyEvent, Item
from sulh.ledger.publication import live_records
from sulh.ledger.weapons import FIGURES, identity_mismatch
from tests.custody.conftest import DEFECTORS

pytestmark = pytest.mark.django_db
MONITOR = "Custody Monitor"


@pytest.fixture
def monitor(tmp_path: Path) -> Path:
    keys = tmp_path / "monitor"
    assert main(["monitor", "keygen", "--name", MONITOR, "--out", str(keys)]) == 0
    assert main(["card", "root-init", "--online"]) == 0
    assert main(["card", "enrol-monitor", "--public", str(keys / "monitor.pub.json")]) == 0
    return keys


def publish_and_check(folder: Path, keys: Path) -> int:
    assert main(["ledger", "publish", "--force"]) == 0
    assert main(["ledger", "bulletin", "--program", DEFECTORS, "--out", str(folder)]) == 0
    openings = folder / "openings"
    assert main(["ledger", "monitor-package", "--monitor", MONITOR, "--out", str(openings)]) == 0
    return main(
        [
            "monitor", "check", "--bulletin", str(folder / f"bulletin-{DEFECTORS}.json"),
            "--leaves", str(folder / "leaves.jsonl"), "--tree-head", str(folder / "tree-head.json"),
            "--key", str(folder / "ledger-key.pem"), "--openings", str(openings),
            "--monitor-key", str(keys / "monitor.key"),
        ]
    )  # fmt: skip


def a_week_of_custody(rifle, officers, stores, personas) -> dict[str, Item]:
    kept, issued, gone, moved, lost, wrong = (rifle() for _ in range(6))
    officer = officers["officer"]
    services.item_issue(item=issued, user=officer, purpose="court", authoriser=personas["manager"])
    services.item_destroy(item=gone, store=stores["main"], user=officer, reason="cut")
    dispatch = services.dispatch_create(
        from_store=stores["main"], to_store_id=stores["north"].pk, items=[moved], seals=["S1"],
        user=officer,
    )  # fmt: skip
    services.dispatch_receive(
        dispatch=dispatch, user=officers["officer2"], tags_received=[moved.tag.number],
        seals_seen=["S1"],
    )  # fmt: skip
    services.item_lose(item=lost, user=officer, stolen=True, reason="broken lock")
    services.item_recover(item=Item.objects.get(pk=lost.pk), user=officer, store=stores["north"])
    wrong_entry = services.item_transfer(item=wrong, user=officer, reason="national police")
    services.entry_reverse(event=wrong_entry, user=officer, reason="entered on the wrong item")
    return {"kept": kept, "gone": gone, "issued": issued}


def test_it_logs_the_entries_and_the_day_s_figures_and_the_monitor_agrees(
    rifle, officers, stores, personas, monitor, tmp_path, capsys
):
    a_week_of_custody(rifle, officers, stores, personas)
    written = figures_log(day=dt.date(2024, 12, 2))
    assert written >= 2  # two stores, one kind and calibre class
    assert figures_log(day=dt.date(2024, 12, 2)) == 0  # once a day
    records = [r for r in live_records() if r and r["event"] == "weapons_figures"]
    by_store = {r["store"]: r for r in records}
    assert {
        k: by_store["alp-main"][k] for k in ("received", "in_store", "issued", "destroyed")
    } == {
        "received": 6,
        "in_store": 2,  # kept, and the one whose transfer was reversed
        "issued": 1,
        "destroyed": 1,
    }
    assert (by_store["alp-north"]["moved_in"], by_store["alp-north"]["recovered"]) == (1, 1)
    assert by_store["alp-main"]["item_kind"] == "weapon"
    assert by_store["alp-main"]["calibre_class"] == "small_arms"
    assert publish_and_check(tmp_path / "site", monitor) == 0
    assert "OK: the root, the openings" in capsys.readouterr().out


def test_the_records_carry_no_person_no_serial_and_no_tag(rifle, officers, stores, personas):
    items = a_week_of_custody(rifle, officers, stores, personas)
    figures_log()
    custody = [
        r for r in live_records() if r and r["event"] in ("custody_entry", "weapons_figures")
    ]
    assert len(custody) >= 10
    text = json.dumps(custody)
    for item in items.values():
        assert item.serial_as_read not in text
        assert item.tag.number not in text
    for name in ("clerk-amal", "arms-samir", "arms-omar", "intake", "person", "actor"):
        assert name not in text
    assert all(set(r) <= {
        "event", "entry", "program", "store", "item_kind", "calibre_class", "item", "ref",
        "reverses", "day", *FIGURES, "moved_in", "moved_out",
    } for r in custody)  # fmt: skip


def test_the_monitor_fails_when_an_entry_was_removed(
    rifle, officers, stores, personas, monitor, tmp_path, capsys
):
    items = a_week_of_custody(rifle, officers, stores, personas)
    destroyed = CustodyEvent.objects.get(item=items["gone"], kind="destroyed")
    with connection.cursor() as cursor:  # behind the services' back
        cursor.execute("DELETE FROM custody_custodyevent WHERE id = %s", [destroyed.pk])
    figures_log()
    assert publish_and_check(tmp_path / "site", monitor) == 1
    out = capsys.readouterr().out
    assert "DIFFERENCE: leaf" in out and "destroyed 0 (not 1)" in out
    assert "DIFFERENCE: weapons" in out and "received + recovered" in out


def test_the_monitor_fails_when_a_state_changed_without_an_entry(
    rifle, officers, stores, personas, monitor, tmp_path, capsys
):
    items = a_week_of_custody(rifle, officers, stores, personas)
    Item.objects.filter(pk=items["kept"].pk).update(state="lost")  # no entry
    figures_log()
    assert publish_and_check(tmp_path / "site", monitor) == 1
    out = capsys.readouterr().out
    assert "in_store 1 (not 2)" in out
    assert f"program {DEFECTORS} store alp-main" in out


def test_the_program_s_weapons_figures_add_up(rifle, officers, stores, personas):
    a_week_of_custody(rifle, officers, stores, personas)
    weapons = program_weapons(program_code=DEFECTORS)
    assert list(weapons) == list(FIGURES)
    assert weapons == {
        "received": 6, "recovered": 1, "in_store": 4, "in_transit": 0, "issued": 1,
        "destroyed": 1, "transferred": 0, "lost": 1,
    }  # fmt: skip
    assert identity_mismatch(weapons, moves=False) == ""
