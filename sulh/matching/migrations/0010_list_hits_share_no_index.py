"""A list hit's ``other_index`` was a keyed hash of the list entry: every hit of one entry
shared it. Nothing is looked up by it for list hits, so each gets a random value."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import migrations

from sulh.keys.fields import row_context
from sulh.keys.sealing import open_sealed


def randomise(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, seal_row, kind FROM matching_matchcandidate")
        for pk, seal_row, kind in cursor.fetchall():
            context = row_context("matching.MatchCandidate.kind", seal_row)
            if kind and open_sealed(kind, context=context) == "list":
                cursor.execute(
                    "UPDATE matching_matchcandidate SET other_index = %s WHERE id = %s",
                    [secrets.token_hex(32), pk],
                )


class Migration(migrations.Migration):
    dependencies = [("matching", "0009_bind_sealed_values_to_rows")]
    operations = [migrations.RunPython(randomise, migrations.RunPython.noop)]
