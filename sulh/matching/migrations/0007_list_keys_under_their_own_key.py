"""Key list entries again under the list side's own key (``list_matching_key``): stored under
the registry's key, they could be aligned with a list's text to label registrants' keys."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    from sulh.matching.lists import IMPORT_BATCH
    from sulh.matching.stored import entry_record, list_record_keys

    ListEntry = apps.get_model("matching", "ListEntry")
    ListKey = apps.get_model("matching", "ListKey")
    if not ListKey.objects.exists():
        return
    ListKey.objects.all().delete()
    batch = []
    for entry in ListEntry.objects.order_by("pk").iterator(chunk_size=IMPORT_BATCH):
        for key in list_record_keys([entry_record(entry.pk, entry.record)]):
            batch.append(
                ListKey(screening_list_id=entry.screening_list_id, entry_id=entry.pk, key=key)
            )
        if len(batch) >= IMPORT_BATCH:
            ListKey.objects.bulk_create(batch)
            batch = []
    ListKey.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("matching", "0006_covering_key_indexes")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
