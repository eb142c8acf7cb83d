import logging
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rr.common.db import use_direct_database
from rr.ops import user_days

logger = logging.getLogger("rr.ops.user_days")


class Command(BaseCommand):
    help = (
        "Fill rr_user_days (after migration 0013) and repair its drift: compare every user's row "
        "with their raw days without locks, then recompute only the differing users in short "
        "batches that are safe while users write."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report the users whose row differs; write nothing.")
        parser.add_argument(
            "--check", action="store_true", help="Like --dry-run, and exit with status 1 when any row differs."
        )
        parser.add_argument(
            "--scan-size",
            type=int,
            default=user_days.DEFAULT_SCAN_SIZE,
            help=f"Users compared per read-only statement (default {user_days.DEFAULT_SCAN_SIZE}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=user_days.DEFAULT_BATCH_SIZE,
            help=f"At most this many users locked and recomputed per transaction (default {user_days.DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--after-id",
            type=int,
            default=0,
            help="Resume after this user id (the last id an interrupted run printed).",
        )

    def handle(
        self,
        *args: Any,
        dry_run: bool,
        check: bool,
        scan_size: int,
        batch_size: int,
        after_id: int,
        **options: Any,
    ) -> None:
        if scan_size < 1:
            raise CommandError("--scan-size must be a positive integer.")
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive integer.")
        if after_id < 0:
            raise CommandError("--after-id must be 0 or a user id.")
        dry_run = dry_run or check
        use_direct_database()  # long and batched: straight to the server, not through a pooler
        bar = tqdm(unit="users", file=sys.stderr) if sys.stderr.isatty() else None

        def progress(checked: int, last_id: int) -> None:
            if bar is not None:
                bar.update(checked)
            else:
                logger.info("user days progress", extra={"users_checked": checked, "last_id": last_id})

        try:
            report = user_days.user_days_repair(
                dry_run=dry_run, scan_size=scan_size, batch_size=batch_size, after_id=after_id, on_progress=progress
            )
        except user_days.UserDaysRepairStalled as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        write = self.stdout.write
        for drift in report.samples:
            write(
                f"user {drift.user_id}: stored {drift.stored or 'no row'}, from the days {drift.computed or 'no row'}"
            )
        if report.differing > len(report.samples):
            write(f"... and {report.differing - len(report.samples)} more ({report.differing} in total)")
        summary = (
            f"Users checked: {report.checked} (last id {report.last_id}). Users whose row differs: {report.differing}. "
            f"Scans: {report.scans}, slowest {report.slowest_scan_ms:.1f} ms."
        )
        if dry_run:
            write(f"{summary} Dry run: nothing was written.")
        else:
            write(
                f"{summary} Rows written: {report.updated}. "
                f"Repair batches: {report.batches}, longest lock {report.slowest_batch_ms:.1f} ms."
            )
        if check and report.drift_found:
            raise CommandError(f"rr_user_days drift found: {report.differing} user(s) differ.", returncode=1)
