"""Seal every entry's purpose and details, bound to the entry, and rebuild the chain keyed.

Existing entries' purposes (free-text reasons, in clear until now) are sealed with their
details; the chain is rebuilt as an HMAC under a key derived from the keyring, over a hash
of the sealed bytes. An empty trail (a new site) needs no keyring.
"""

from django.db import migrations, models


def _reseal(apps, schema_editor):
    from sulh.audit.services import GENESIS, chain_key, chain_mac, seal_entry, sha256_hex

    Entry = apps.get_model("audit", "AuditEntry")
    Head = apps.get_model("audit", "AuditHead")
    if not Entry.objects.exists():
        return
    key = chain_key()
    prev = GENESIS
    for entry in Entry.objects.order_by("seq").iterator(chunk_size=2000):
        entry.sealed = seal_entry(
            seq=entry.seq, action=entry.action, purpose=entry.purpose, details=entry.details
        )
        entry.sealed_hash = sha256_hex(entry.sealed)
        fields = {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "action": entry.action,
            "obj_type": entry.obj_type,
            "obj_id": entry.obj_id,
            "sealed_hash": entry.sealed_hash,
        }
        entry.prev_hash = prev
        entry.entry_hash = chain_mac(fields, prev, key=key)
        entry.save(update_fields=["sealed", "sealed_hash", "prev_hash", "entry_hash"])
        prev = entry.entry_hash
        last = entry.seq
    Head.objects.update_or_create(name="default", defaults={"seq": last, "entry_hash": prev})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditentry", name="sealed", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="auditentry",
            name="sealed_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(_reseal, migrations.RunPython.noop),
        migrations.RemoveField(model_name="auditentry", name="purpose"),
        migrations.RemoveField(model_name="auditentry", name="details"),
    ]
