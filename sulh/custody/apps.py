from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "sulh.custody"
    label = "custody"
    default_auto_field = "django.db.models.BigAutoField"
