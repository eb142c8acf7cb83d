from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rr.ops import demo


class Command(BaseCommand):
    help = "Load a few demo users (password in the output), checklists, regrets and follows. Idempotent."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (demo accounts have a published password).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo accounts with DEBUG off; pass --force if you mean it.")
        made = demo.demo_seed()
        summary = ", ".join(f"{count} {kind}" for kind, count in made.items())
        self.stdout.write(f"Demo data ready ({summary} created).")
        self.stdout.write(f"Log in as any of {', '.join(demo.DEMO_USERS)} with password {demo.DEMO_PASSWORD!r}.")
