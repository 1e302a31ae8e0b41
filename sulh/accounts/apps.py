from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sulh.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
