from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rr.notifications import push


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for Web Push as NAME=value lines to paste into the environment "
        "(docs/OPERATIONS.md, 'Reminders'). Changing the key ends every browser's subscription."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--subject",
            default="mailto:support@regretregret.app",
            help="a mailto: or https: URI push services can reach you at (VAPID_SUBJECT)",
        )

    def handle(self, *args: Any, subject: str, **options: Any) -> None:
        if not subject.startswith(("mailto:", "https://")):
            raise CommandError("--subject must be a mailto: or https:// URI.")
        private, public = push.vapid_new_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_SUBJECT={subject}")
        self.stdout.write(f"# public key (GET /api/push/key/ answers it): {public}")
