from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sulh.demo.open_program import OPEN_ID, write_open_copy
from tests.conftest import serve_everything


@pytest.fixture
def open_program(programs, settings, tmp_path):
    """A copy of the defectors' program, open for registration now."""
    from sulh.programs.services import program_get_definition, program_sync

    write_open_copy(
        programs_dir=settings.SULH_PROGRAMS_DIR, out_dir=tmp_path / "open", now=timezone.now()
    )
    program_sync(directory=tmp_path / "open")
    serve_everything()
    return program_get_definition(code=OPEN_ID)


CHROMIUM = Path("/usr/bin/chromium")
# Every browser test: end to end in the system's Chromium, against a live server. Where
# Debian's package is missing (a user's machine; .ci/run installs it), they are skipped
# with the command that installs it, never downloaded.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs the system Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django then
    # refuses database work here (the test database's flush after each test) as unsafe
    # from async code. No async code touches the database: allow it while the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """The system's Chromium (Debian's package), never a downloaded browser."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield chromium
    chromium.close()
