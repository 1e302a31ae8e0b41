"""Django set up on demand, for command modules at any layer (``sulh.cli`` is the top one,
so a package's commands import this rather than it)."""

from __future__ import annotations

import os


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()
