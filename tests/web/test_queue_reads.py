"""The review queue shows names (issue #22, item 7) without becoming a way round the
bulk-read limit (#16, F10): each case named for the first time in the read window counts
as a case read, a name shown again does not, and past the limit the queue still lists the
cases, without names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_intake_check_oracle import _client, _import_wanted, _register

pytestmark = pytest.mark.django_db


def test_names_in_the_queue_count_as_case_reads(personas, open_program, settings, tmp_path: Path):
    settings.SULH_CASE_READS = 3
    clerk, version = _client(personas["clerk"]), open_program.pledge.version
    _import_wanted(tmp_path, birth="1979-05-05")
    for _ in range(2):
        _register(clerk, version, given="Khaled", family="Nasser", birth="05/05/1979")
    vetter = _client(personas["vetter"])
    for _ in range(3):  # the same two names, shown again: counted once
        page = vetter.get("/queue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert page.count("Nasser") == 2 and 'id="names-hidden"' not in page
    for _ in range(2):
        _register(clerk, version, given="Khaled", family="Nasser", birth="05/05/1979")
    answer = vetter.get("/queue/")
    page = answer.content.decode()
    assert answer.status_code == 200 and 'id="names-hidden"' in page
    assert "Nasser" not in page and page.count("/cases/") >= 4  # the cases, without names


def test_the_queue_filters_name_programs_and_stations(personas, open_program, tmp_path: Path):
    """The walk through every role (second pass): the filters listed bare codes."""
    clerk = _client(personas["clerk"])
    _import_wanted(tmp_path, birth="1979-05-05")
    _register(clerk, open_program.pledge.version, given="Khaled", family="Nasser",
              birth="05/05/1979")  # fmt: skip
    page = _client(personas["vetter"]).get("/queue/").content.decode()
    station = personas["clerk"].station
    assert f">{station.name_ar}</option>" in page and f">{station.code}</option>" not in page
    assert f">{open_program.title.ar}</option>" in page
