"""`manage.py account_recovery_code <username>`: a one-time recovery code for support to hand over."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rr.accounts import services
from rr.common.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Print a one-time code (valid 24 hours) with which the owner of <username> sets a new password "
        "through POST /auth/recover/, ending every session of the account. Earlier unused codes stop working. "
        "See docs/OPERATIONS.md, 'Support: account recovery'."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="The exact username (legacy names may hold spaces: quote them).")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        try:
            code = services.recovery_code_issue(username=username)
        except ServiceError as exc:
            raise CommandError(f"{exc.message} ({username!r})") from exc
        self.stdout.write(code)
        self.stderr.write(
            f"Valid for {int(services.RECOVERY_CODE_LIFETIME.total_seconds() // 3600)} hours, once. "
            "Send it only over a channel verified as the owner's."
        )
