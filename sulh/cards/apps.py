from django.apps import AppConfig

from sulh.cases.hooks import closed_as_duplicate, eligibility_revoked


class CardsConfig(AppConfig):
    name = "sulh.cards"
    label = "cards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # models are loaded only now
        from sulh.cards.services import on_closed_as_duplicate, on_eligibility_revoked

        eligibility_revoked.register(on_eligibility_revoked)
        closed_as_duplicate.register(on_closed_as_duplicate)
