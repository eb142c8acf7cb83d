"""`migrate` straight to the database server when DIRECT_DATABASE_URL is set (not through the pooler)."""

from typing import Any

from django.core.management.commands import migrate

from rr.common.db import use_direct_database


class Command(migrate.Command):
    help = migrate.Command.help + " Uses DIRECT_DATABASE_URL, when set, instead of the pooler's DATABASE_URL."

    def handle(self, *args: Any, **options: Any) -> str | None:
        if options["database"] == "default" and use_direct_database():
            self.stdout.write("Migrating through DIRECT_DATABASE_URL (not the pooler).")
        return super().handle(*args, **options)
