from django.apps import AppConfig


class RrConfig(AppConfig):
    name = "rr"
    label = "rr"
    verbose_name = "Regret Regret"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from rr.accounts import browser
        from rr.accounts.admin_login import install

        install(admin.site)
        browser.connect()
