"""The demo's --bulletin-json objects carry the weapons figures of the interface."""

from __future__ import annotations

import json

import pytest

from sulh.cli import main
from sulh.ledger.weapons import FIGURES, identity_mismatch

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    settings.SULH_DATA_DIR = tmp_path / "data"


def test_each_bulletin_object_has_weapons_that_add_up(tmp_path):
    out = tmp_path / "bulletin.json"
    assert main(["demo", "--people", "30", "--no-serve", "--bulletin-json", str(out)]) == 0
    for bulletin in json.loads(out.read_text()):
        assert list(bulletin["weapons"]) == list(FIGURES)
        assert all(isinstance(v, int) for v in bulletin["weapons"].values())
        assert identity_mismatch(bulletin["weapons"], moves=False) == ""
