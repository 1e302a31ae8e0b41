"""MAC the chain's head under the chain key, so cutting the tail and moving the head back
is detected without a published tree head."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def seal_head(apps: Any, schema_editor: Any) -> None:
    from sulh.audit.services import chain_key, head_mac

    head_model = apps.get_model("audit", "AuditHead")
    for head in head_model.objects.all():
        head.head_mac = head_mac(head.seq, head.entry_hash, key=chain_key())
        head.save(update_fields=["head_mac"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_seal_and_key_the_chain")]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="head_mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(seal_head, migrations.RunPython.noop),
    ]
