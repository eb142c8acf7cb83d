from django.apps import AppConfig


class RrConfig(AppConfig):
    name = "rr"
    label = "rr"
    verbose_name = "Regret Regret"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django's place for what needs the models loaded (its AppConfig.ready() documentation).
        from django.contrib import admin  # noqa: PLC0415

        from rr.accounts import browser  # noqa: PLC0415
        from rr.accounts.admin_login import install  # noqa: PLC0415

        install(admin.site)
        browser.connect()
