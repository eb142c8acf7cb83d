from django.apps import AppConfig


class RrConfig(AppConfig):
    name = "rr"
    label = "rr"
    verbose_name = "Regret Regret"
    default_auto_field = "django.db.models.BigAutoField"
