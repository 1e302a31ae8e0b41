"""The rule that fired was copied into decision events' details in clear; it is sealed on
the decision (``Decision.rule_id``), and with the program's text it says a person's
affiliation, origin and destination."""

from typing import Any

from django.db import migrations


def rule_out_of_events(apps: Any, schema_editor: Any) -> None:
    CaseEvent = apps.get_model("cases", "CaseEvent")
    for event in CaseEvent.objects.filter(details__has_key="rule").iterator(chunk_size=2000):
        event.details = {k: v for k, v in event.details.items() if k != "rule"}
        event.save(update_fields=["details"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_seal_what_says_who")]

    operations = [migrations.RunPython(rule_out_of_events, migrations.RunPython.noop)]
