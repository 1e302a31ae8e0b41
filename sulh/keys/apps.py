from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "sulh.keys"
    label = "keys"
    default_auto_field = "django.db.models.BigAutoField"
