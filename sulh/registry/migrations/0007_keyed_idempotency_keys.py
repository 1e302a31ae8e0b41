"""Store a keyed hash of each intake's idempotency key, not the key a device chose."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def rekey(apps: Any, schema_editor: Any) -> None:
    from sulh.registry.services import idempotency_key_index

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, idempotency_key FROM registry_intake")
        for pk, key in cursor.fetchall():
            cursor.execute(
                "UPDATE registry_intake SET idempotency_key = %s WHERE id = %s",
                [idempotency_key_index(key), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_bind_sealed_values_to_rows")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
