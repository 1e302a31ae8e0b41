from __future__ import annotations

import pytest
from django.utils import timezone

from sulh.demo.open_program import OPEN_ID, write_open_copy


@pytest.fixture
def open_program(programs, settings, tmp_path):
    """A copy of the defectors' program, open for registration now."""
    from sulh.programs.services import program_get_definition, program_sync

    write_open_copy(
        programs_dir=settings.SULH_PROGRAMS_DIR, out_dir=tmp_path / "open", now=timezone.now()
    )
    program_sync(directory=tmp_path / "open")
    return program_get_definition(code=OPEN_ID)
