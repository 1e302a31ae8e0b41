"""The demo runs end to end through the real services, and its figures reconcile."""

from __future__ import annotations

import json

import pytest

from sulh.bulletins.figures import figures_reconcile
from sulh.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    """The demo writes its open programs under the data folder: this test's, not var/."""
    settings.SULH_DATA_DIR = tmp_path / "data"


def test_the_demo_registers_decides_and_writes_reconciling_figures(tmp_path, capsys):
    out = tmp_path / "bulletin.json"
    assert main(["demo", "--people", "150", "--no-serve", "--bulletin-json", str(out)]) == 0
    bulletins = json.loads(out.read_text())
    assert {b["program"] for b in bulletins} == {
        "aleppo-2016-amnesty",
        "aleppo-2016-evacuation",
        "aleppo-2016-safe-passage",
        "aleppo-2016-48h-withdrawal",
        "aleppo-2024-defectors",
    }
    assert sum(b["everyone"]["registered"] for b in bulletins) >= 150
    for bulletin in bulletins:
        assert figures_reconcile(bulletin["figures"])
        assert figures_reconcile(bulletin["children"])
    decided = sum(
        b["figures"][k]
        for b in bulletins
        for k in ("amnesty_granted", "departure", "referred", "denied")
    )
    assert decided > 0
    departing = {b["program"]: b["departures"] for b in bulletins if "departures" in b}
    assert {"aleppo-2016-evacuation", "aleppo-2016-safe-passage"} <= set(departing)
    for departures in departing.values():
        assert departures["manifested"] == departures["boarded"] + departures["no_show"]
        assert departures["boarded"] == sum(
            departures[k] for k in ("arrived", "removed", "returned", "unaccounted")
        )
        assert departures["departed"] == departures["boarded"] and departures["convoys"] >= 1
    totals = {
        k: sum(d[k] for d in departing.values()) for k in ("no_show", "removed", "unaccounted")
    }
    assert totals["no_show"] >= 1 and totals["removed"] >= 1 and totals["unaccounted"] == 1
    printed = capsys.readouterr().out
    assert "decider" in printed and "password" in printed
    assert "attested by the demo monitor: 5 programs" in printed


def test_a_monitor_account_sees_the_attested_published_figures(tmp_path, settings):
    assert main(["demo", "--people", "120", "--no-serve"]) == 0
    from django.test import Client

    from sulh.accounts.models import User

    folder = settings.SULH_DATA_DIR / "demo-monitor"
    assert sorted(p.name for p in (folder / "openings").glob("package-*.json"))
    client = Client()
    client.force_login(User.objects.get(username="monitor"))
    client.cookies["django_language"] = "en"
    page = client.get("/dashboard/?program=aleppo-2016-amnesty").content.decode()
    assert "Attested by Demo monitor" in page and "Published figures" in page
    assert 'id="backlog"' not in page  # exact counts are the managers'
    manager = Client()
    manager.force_login(User.objects.get(username="manager"))
    manager.cookies["django_language"] = "en"
    exact = manager.get("/dashboard/?program=aleppo-2016-amnesty").content.decode()
    assert "Exact figures" in exact and 'id="backlog"' in exact


def test_the_demo_is_safe_to_run_twice(tmp_path):
    out = tmp_path / "b.json"
    assert main(["demo", "--people", "40", "--no-serve", "--bulletin-json", str(out)]) == 0
    first = sum(b["everyone"]["registered"] for b in json.loads(out.read_text()))
    assert main(["demo", "--people", "40", "--no-serve", "--bulletin-json", str(out)]) == 0
    second = sum(b["everyone"]["registered"] for b in json.loads(out.read_text()))
    assert first == second
