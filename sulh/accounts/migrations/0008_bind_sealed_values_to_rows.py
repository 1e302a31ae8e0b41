"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_read_windows_per_kind")]

    operations = [
        *row_seal_operations(
            "loginstate",
            "accounts_loginstate",
            {
                "totp_secret": "accounts.LoginState.totp_secret",
            },
        ),
    ]
