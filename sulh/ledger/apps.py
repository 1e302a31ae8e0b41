from django.apps import AppConfig

from sulh.cases.hooks import case_transitioned


class LedgerConfig(AppConfig):
    name = "sulh.ledger"
    label = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sulh.ledger.hooks import on_case_transition  # models are loaded only now

        case_transitioned.register(on_case_transition)
