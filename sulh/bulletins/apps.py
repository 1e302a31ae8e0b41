from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "sulh.bulletins"
    label = "bulletins"
    default_auto_field = "django.db.models.BigAutoField"
