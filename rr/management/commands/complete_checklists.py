from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from rr.checklists import services


class Command(BaseCommand):
    help = (
        "Mark completed (frozen) every checklist whose local day closed (its local midnight plus "
        "DAY_CLOSE_GRACE_HOURS). Safe to run at any time and as often as wanted, e.g. hourly."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="checklists per statement (default 1000)")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        done = services.checklists_complete(batch_size=max(1, batch_size))
        self.stdout.write(f"{done} checklist(s) completed.")
