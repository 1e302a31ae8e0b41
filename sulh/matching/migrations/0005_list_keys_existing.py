"""Key the entries of lists imported before list keys were stored (online screening reads them)."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    from sulh.matching.lists import IMPORT_BATCH
    from sulh.matching.stored import entry_record, record_keys

    ListEntry = apps.get_model("matching", "ListEntry")
    ListKey = apps.get_model("matching", "ListKey")
    keyed = set(ListKey.objects.values_list("entry_id", flat=True).distinct())
    batch = []
    for entry in ListEntry.objects.order_by("pk").iterator(chunk_size=IMPORT_BATCH):
        if entry.pk in keyed:
            continue
        for key in record_keys([entry_record(entry.pk, entry.record)]):
            batch.append(
                ListKey(screening_list_id=entry.screening_list_id, entry_id=entry.pk, key=key)
            )
        if len(batch) >= IMPORT_BATCH:
            ListKey.objects.bulk_create(batch)
            batch = []
    ListKey.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_list_keys")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
