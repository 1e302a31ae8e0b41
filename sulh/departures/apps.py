from django.apps import AppConfig


class DeparturesConfig(AppConfig):
    name = "sulh.departures"
    label = "departures"
    default_auto_field = "django.db.models.BigAutoField"
