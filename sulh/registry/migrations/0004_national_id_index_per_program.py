"""Re-key every stored national-number index under its program (it was one key for all)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from sulh.keys.sealing import blind_index, open_sealed


def rekey(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.national_id, g.code FROM registry_person p"
            " JOIN registry_intake i ON i.person_id = p.id"
            " JOIN programs_program g ON g.id = i.program_id"
            " WHERE p.national_id_index <> ''"
        )
        for pk, token, code in cursor.fetchall():
            number = open_sealed(token, context="registry.Person.national_id") if token else ""
            value = blind_index(number, purpose=f"national_id:{code}") if number else ""
            cursor.execute(
                "UPDATE registry_person SET national_id_index = %s WHERE id = %s", [value, pk]
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_export_request_in_cases"), ("programs", "0001_initial")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
