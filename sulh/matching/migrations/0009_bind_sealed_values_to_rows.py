"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("matching", "0008_seal_candidate_links")]

    operations = [
        *row_seal_operations(
            "listentry",
            "matching_listentry",
            {
                "entry_id": "matching.ListEntry.entry_id",
                "record": "matching.ListEntry.record",
            },
        ),
        *row_seal_operations(
            "matchcandidate",
            "matching_matchcandidate",
            {
                "kind": "matching.MatchCandidate.kind",
                "other": "matching.MatchCandidate.other",
                "score": "matching.MatchCandidate.score",
                "evidence": "matching.MatchCandidate.evidence",
                "reason": "matching.MatchCandidate.reason",
            },
        ),
    ]
