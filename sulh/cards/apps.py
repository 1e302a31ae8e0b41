from django.apps import AppConfig

from sulh.cases.hooks import eligibility_revoked


class CardsConfig(AppConfig):
    name = "sulh.cards"
    label = "cards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sulh.cards.services import on_eligibility_revoked  # models are loaded only now

        eligibility_revoked.register(on_eligibility_revoked)
