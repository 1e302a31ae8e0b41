"""Seal which case looks like which list entry or other case, by what score: a candidate's
kind, other side and score, and the list's own reference of each entry."""

from typing import Any

import sulh.keys.fields
from django.db import migrations, models

from sulh.keys.fields import seal_column


def other_side_sealed(apps: Any, schema_editor: Any) -> None:
    from sulh.matching.models import candidate_other_index

    MatchCandidate = apps.get_model("matching", "MatchCandidate")
    for candidate in MatchCandidate.objects.order_by("pk").iterator(chunk_size=2000):
        pk = candidate.other_case_id or candidate.list_entry_id
        MatchCandidate.objects.filter(pk=candidate.pk).update(
            other=str(pk), other_index=candidate_other_index(kind=candidate.kind, pk=pk)
        )


class Migration(migrations.Migration):
    dependencies = [("matching", "0007_list_keys_under_their_own_key")]

    operations = [
        migrations.AddField(
            model_name="matchcandidate",
            name="other",
            field=sulh.keys.fields.EncryptedTextField(default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="matchcandidate",
            name="other_index",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(other_side_sealed, migrations.RunPython.noop),
        migrations.RemoveField(model_name="matchcandidate", name="other_case"),
        migrations.RemoveField(model_name="matchcandidate", name="list_entry"),
        migrations.AlterField(
            model_name="matchcandidate",
            name="kind",
            field=sulh.keys.fields.EncryptedTextField(
                choices=[
                    ("duplicate", "Possible duplicate registration"),
                    ("list", "Possible list match"),
                ]
            ),
        ),
        migrations.AlterField(
            model_name="matchcandidate",
            name="score",
            field=sulh.keys.fields.EncryptedFloatField(),
        ),
        migrations.AlterField(
            model_name="listentry",
            name="entry_id",
            field=sulh.keys.fields.EncryptedTextField(),
        ),
        migrations.RunPython(
            seal_column("matching_matchcandidate", "kind", "matching.MatchCandidate.kind"),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(
            seal_column("matching_matchcandidate", "score", "matching.MatchCandidate.score"),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(
            seal_column("matching_listentry", "entry_id", "matching.ListEntry.entry_id"),
            migrations.RunPython.noop,
        ),
    ]
