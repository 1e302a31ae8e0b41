from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "sulh.matching"
    label = "matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sulh.keys.middleware import forget_on_abandon
        from sulh.matching.stored import caches_clear

        # opened records in this worker's caches go once it sees the site was abandoned
        forget_on_abandon(caches_clear)
