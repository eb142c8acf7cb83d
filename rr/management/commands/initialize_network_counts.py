import logging
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rr.common.db import use_direct_database
from rr.network import selectors as network_selectors
from rr.ops import counts

logger = logging.getLogger("rr.ops.counts")


class _Progress:
    """A tqdm bar on a terminal; otherwise a log line at every tenth of the way."""

    def __init__(self, total: int, *, interactive: bool) -> None:
        self.total = total
        self.done = 0
        self.next_tenth = 1
        self.bar = tqdm(total=total, unit="users", file=sys.stderr) if interactive else None

    def __call__(self, checked: int) -> None:
        self.done += checked
        if self.bar is not None:
            self.bar.update(checked)
            return
        if self.total and self.done * 10 >= self.next_tenth * self.total:
            logger.info("count repair progress", extra={"users_checked": self.done, "users_total": self.total})
            self.next_tenth = self.done * 10 // self.total + 1

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Recompute followers_count and following_count of every user from rr_network: "
        "find drift without locks, then repair only the drifting users in short batches "
        "that are safe while users follow and unfollow."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report the users whose counts differ; write nothing."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Like --dry-run, and exit with status 1 when any count differs (for monitoring).",
        )
        parser.add_argument(
            "--scan-size",
            type=int,
            default=counts.DEFAULT_SCAN_SIZE,
            help=f"Users checked per read-only statement, without locks (default {counts.DEFAULT_SCAN_SIZE}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=counts.DEFAULT_BATCH_SIZE,
            help=f"At most this many drifting users locked and repaired per transaction "
            f"(default {counts.DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, dry_run: bool, check: bool, scan_size: int, batch_size: int, **options: Any) -> None:
        if scan_size < 1:
            raise CommandError("--scan-size must be a positive integer.")
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive integer.")
        dry_run = dry_run or check
        # Scans and repair batches straight to the server, not through a transaction pooler.
        use_direct_database()
        progress = _Progress(counts.users_total(), interactive=sys.stderr.isatty())
        try:
            report = counts.network_counts_repair(
                dry_run=dry_run, scan_size=scan_size, batch_size=batch_size, on_progress=progress
            )
        except counts.CountRepairStalled as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        self._print(report)
        # Counts come from rr_network alone: pending requests (rr_follow_request) and blocks
        # (rr_block) are not links. A link or request between two users while either blocks
        # the other was written around the application: reported, never counted away.
        crossing = network_selectors.across_blocks()
        self.stdout.write(
            f"Across a block (rr_block): {crossing['links']} link(s), {crossing['pending requests']} pending request(s)."
        )
        if check and report.drift_found:
            raise CommandError(f"Count drift found: {report.differing} user(s) differ.", returncode=1)
        if check and any(crossing.values()):
            raise CommandError("Links or pending requests cross a block (verify_deployment).", returncode=1)

    def _print(self, report: counts.CountReport) -> None:
        write = self.stdout.write
        if report.samples:
            header = ("username", "followers stored", "followers true", "following stored", "following true")
            rows = [
                (d.username, d.followers_stored, d.followers_true, d.following_stored, d.following_true)
                for d in report.samples
            ]
            widths = [min(30, max(len(_text(row[i])) for row in [header, *rows])) for i in range(len(header))]
            for row in [header, *rows]:
                write("  ".join(_cell(value, widths[i]) for i, value in enumerate(row)).rstrip())
            if report.differing > len(report.samples):
                write(f"... and {report.differing - len(report.samples)} more ({report.differing} in total)")
        summary = (
            f"Users checked: {report.checked}. Users whose counts differ: {report.differing}. "
            f"Users {'would change' if report.dry_run else 'changed'}: "
            f"{report.differing if report.dry_run else report.updated}. "
            f"Scans: {report.scans}, slowest {report.slowest_scan_ms:.1f} ms."
        )
        if report.dry_run:
            write(f"{summary} Dry run: nothing was written.")
        else:
            write(f"{summary} Repair batches: {report.batches}, longest lock {report.slowest_batch_ms:.1f} ms.")


def _text(value: object) -> str:
    # Legacy usernames may hold tabs or other control characters: show them escaped.
    if not isinstance(value, str):
        return str(value)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in value)


def _cell(value: object, width: int) -> str:
    text = _text(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if isinstance(value, int) else text.ljust(width)
