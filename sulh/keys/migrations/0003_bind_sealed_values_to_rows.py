"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("keys", "0002_signing_key_in_token")]

    operations = [
        *row_seal_operations(
            "signingkey",
            "cards_signingkey",
            {
                "private_pem": "cards.SigningKey.private_pem",
            },
        ),
    ]
