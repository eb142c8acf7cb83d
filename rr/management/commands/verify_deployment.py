from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rr.ops.cluster import cluster_checks
from rr.ops.verify import deployment_verify


class Command(BaseCommand):
    help = (
        "Check the networking deployment: schema, constraints, indexes, triggers, migrations, "
        "counts and the network endpoints. One line per check; exit status 1 on any failure."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sample",
            type=int,
            metavar="N",
            help="Check the counts of about N random users instead of all (large databases).",
        )

    def handle(self, *args: Any, sample: int | None, **options: Any) -> None:
        if sample is not None and sample < 1:
            raise CommandError("--sample must be a positive integer.")
        # Through DATABASE_URL (the pooler, if any): what the app servers use.
        results = deployment_verify(sample=sample) + cluster_checks()
        for result in results:
            self.stdout.write(result.line())
        failed = [result.name for result in results if not result.ok]
        if failed:
            raise CommandError(f"{len(failed)} check(s) failed: {', '.join(failed)}.", returncode=1)
        self.stdout.write(f"All {len(results)} checks passed.")
