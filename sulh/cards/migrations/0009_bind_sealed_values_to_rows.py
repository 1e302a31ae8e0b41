"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("cards", "0008_one_card_in_force")]

    operations = [
        *row_seal_operations(
            "card",
            "cards_card",
            {
                "text": "cards.Card.text",
            },
        ),
        *row_seal_operations(
            "cardextension",
            "cards_cardextension",
            {
                "reason": "cards.CardExtension.reason",
            },
        ),
        *row_seal_operations(
            "cardreinstatement",
            "cards_cardreinstatement",
            {
                "reason": "cards.CardReinstatement.reason",
                "second_reason": "cards.CardReinstatement.second_reason",
            },
        ),
    ]
