from django.apps import AppConfig

from sulh.audit.hooks import anchor_checks
from sulh.cases.hooks import case_transitioned


class LedgerConfig(AppConfig):
    name = "sulh.ledger"
    label = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sulh.ledger.anchoring import anchors_check  # models are loaded only now
        from sulh.ledger.hooks import on_case_transition

        case_transitioned.register(on_case_transition)
        anchor_checks.register(anchors_check)
