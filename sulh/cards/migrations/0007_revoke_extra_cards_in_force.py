"""A case that holds several cards in force keeps its newest, before the constraint that
allows one (0008); run apart so that PostgreSQL builds the index after these updates."""

from django.db import migrations


def revoke_all_but_the_newest_card_in_force(apps, schema_editor):
    """Before the constraint: a case that holds several cards in force keeps its newest;
    the others are revoked and marked replaced by it (they then show in the status list)."""
    Card = apps.get_model("cards", "Card")
    newest = {}
    for card in Card.objects.exclude(state="revoked").order_by("case_id", "-issued_at", "-pk"):
        if card.case_id not in newest:
            newest[card.case_id] = card
            continue
        card.state, card.superseded_by = "revoked", newest[card.case_id]
        card.save(update_fields=["state", "superseded_by"])


class Migration(migrations.Migration):
    dependencies = [("cards", "0006_signing_keys_in_keys")]

    operations = [
        migrations.RunPython(revoke_all_but_the_newest_card_in_force, migrations.RunPython.noop),
    ]
