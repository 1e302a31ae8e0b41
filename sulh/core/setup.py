"""Set Django up for a command that needs the database, and only then."""

from __future__ import annotations

import os


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()
