from django.apps import AppConfig

from sulh.accounts.hooks import second_factor_changed


class WebConfig(AppConfig):
    name = "sulh.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sulh.web.audit import on_second_factor_changed  # models are loaded only now

        second_factor_changed.register(on_second_factor_changed)
