"""Fill and repair rr_user_days (migration 0013) from the raw days: the backfill after the
migration, drift repair and monitoring. `manage.py initialize_user_days` runs it.

A run walks the users by keyset over id, a window of `scan_size` users at a time:

1. **Find** the window's users whose row differs from what rr_user_days_compute() says
   (a missing row included), in one read-only statement, without any lock.
2. **Repair** only those users, at most `batch_size` per transaction, with
   rr_user_days_refresh(): the triggers' own row lock, then the recomputation in a later
   statement.

Why neither step misses a concurrent write: docs/ARCHITECTURE.md, "Why the concurrent
writes are right". Writers of other users never wait; writers of a batch's users wait at
most its length (LOCK_TIMEOUT bounds the batch's own wait). A second run changes nothing;
an interrupted run can be started again, or resumed with `after_id`.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from rr.ops.batches import locked_batch

logger = logging.getLogger("rr.ops.user_days")

# Sizes chosen on 1,000,000 users and 10,000,000 checklists: docs/BENCHMARKS.md, "Filling
# rr_user_days" (`python -m bench.ops user_days`).
DEFAULT_SCAN_SIZE = 2000
DEFAULT_BATCH_SIZE = 200
LOCK_TIMEOUT = "2s"
BATCH_ATTEMPTS = 5
SAMPLE_LIMIT = 50
# stored and computed strength sums are the same float unless summed in another order.
_FLOAT_SLACK = 1e-9

_WINDOW_SQL = "SELECT max(id), count(*) FROM (SELECT id FROM rr_user WHERE id > %s ORDER BY id LIMIT %s) AS w"

# The users of the id range (after, last] whose row differs from the computation.
_DRIFT_SQL = f"""
    WITH f AS MATERIALIZED (
        SELECT * FROM rr_user_days_compute(
            ARRAY(SELECT id FROM rr_user WHERE id > %(after)s AND id <= %(last)s ORDER BY id))
    )
    SELECT coalesce(d.user_id, f.user_id), row(d.*)::text, row(f.*)::text
    FROM (SELECT * FROM rr_user_days WHERE user_id > %(after)s AND user_id <= %(last)s) d
    FULL JOIN f ON f.user_id = d.user_id
    WHERE d.user_id IS NULL OR f.user_id IS NULL
       OR (d.first_date, d.last_date, d.last_offset, d.kept_last, d.kept_run, d.longest)
          IS DISTINCT FROM (f.first_date, f.last_date, f.last_offset, f.kept_last, f.kept_run, f.longest)
       OR abs(d.strength_sum - f.strength_sum) > {_FLOAT_SLACK} * greatest(1, f.strength_sum)
    ORDER BY 1
"""


class UserDaysRepairStalled(Exception):
    """A batch could not lock its users' rows within LOCK_TIMEOUT, BATCH_ATTEMPTS times in a row."""


@dataclass(frozen=True)
class DaysDrift:
    user_id: int
    stored: str | None  # the row as text, None when missing
    computed: str | None  # None: the user has no days


@dataclass
class DaysReport:
    dry_run: bool
    checked: int = 0
    differing: int = 0
    updated: int = 0
    scans: int = 0
    slowest_scan_ms: float = 0.0
    batches: int = 0
    slowest_batch_ms: float = 0.0  # the longest a batch held its users' rows locked
    last_id: int = 0  # the last user id walked: `after_id` to resume from
    samples: list[DaysDrift] = field(default_factory=list)

    @property
    def drift_found(self) -> bool:
        return self.differing > 0


def _scan(after: int, scan_size: int) -> tuple[Any, int, list[DaysDrift]]:  # (last id or None, ...)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(_WINDOW_SQL, [after, scan_size])
        last, checked = cursor.fetchone()
        if not checked:
            return None, 0, []
        cursor.execute(_DRIFT_SQL, {"after": after, "last": last})
        return last, checked, [DaysDrift(*row) for row in cursor.fetchall()]


def _refresh(ids: list[int]) -> Callable[[CursorWrapper], int]:
    def work(cursor: CursorWrapper) -> int:
        cursor.execute("SELECT rr_user_days_refresh(%s::bigint[])", [ids])
        return cursor.fetchone()[0]

    return work


def _repair_batch(ids: list[int]) -> tuple[int, float]:
    stalled = UserDaysRepairStalled(
        f"The rows of users from id {ids[0]} stayed locked by other transactions: no user from id {ids[0]} on "
        f"was repaired, every user before it was. Run the command again with --after-id {ids[0] - 1}."
    )
    return locked_batch(
        _refresh(ids),
        ids,
        lock_timeout=LOCK_TIMEOUT,
        attempts=BATCH_ATTEMPTS,
        logger=logger,
        what="user days",
        stalled=stalled,
    )


def user_days_repair(
    *,
    dry_run: bool = False,
    scan_size: int = DEFAULT_SCAN_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_id: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> DaysReport:
    """Make every user's rr_user_days row what their raw days say; with `dry_run`, only report.

    Invariant kept: after a run that returns, every user from `after_id` on that existed
    when its window was scanned has a row equal to rr_user_days_compute(), whatever
    writes ran meanwhile (see the module docstring). `on_progress(n, last_id)` is called
    after each window.
    """
    if scan_size < 1 or batch_size < 1:
        raise ValueError("scan_size and batch_size must be positive")
    report = DaysReport(dry_run=dry_run, last_id=after_id)
    after = after_id
    while True:
        started = time.perf_counter()
        last, checked, drifts = _scan(after, scan_size)
        if not checked:
            break
        report.slowest_scan_ms = max(report.slowest_scan_ms, (time.perf_counter() - started) * 1000)
        report.scans += 1
        report.checked += checked
        report.differing += len(drifts)
        report.samples.extend(drifts[: SAMPLE_LIMIT - len(report.samples)])
        if not dry_run:
            ids = [drift.user_id for drift in drifts]
            for start in range(0, len(ids), batch_size):
                written, held_ms = _repair_batch(ids[start : start + batch_size])
                report.batches += 1
                report.updated += written
                report.slowest_batch_ms = max(report.slowest_batch_ms, held_ms)
        after = report.last_id = last
        if on_progress is not None:
            on_progress(checked, last)
    logger.info(
        "user days check finished" if dry_run else "user days repair finished",
        extra={
            "dry_run": dry_run,
            "users_checked": report.checked,
            "users_differing": report.differing,
            "users_updated": report.updated,
            "slowest_scan_ms": round(report.slowest_scan_ms, 2),
            "slowest_batch_ms": round(report.slowest_batch_ms, 2),
        },
    )
    return report


def user_days_drifting(*, sample: int | None = None) -> tuple[int, int]:
    """(users looked at, users whose row differs from their raw days): all users, or a random
    sample of about `sample` (Bernoulli sampling of rr_user). Reads only."""
    where = ""
    if sample:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM rr_user")
            total = cursor.fetchone()[0]
        if total > sample:
            where = f"TABLESAMPLE BERNOULLI ({100.0 * sample / total:.6f})"
    sql = f"""
        WITH u AS MATERIALIZED (SELECT id FROM rr_user {where}),
        f AS MATERIALIZED (SELECT * FROM rr_user_days_compute(ARRAY(SELECT id FROM u)))
        SELECT (SELECT count(*) FROM u), count(*) FILTER (
            WHERE d.user_id IS NULL OR f.user_id IS NULL
               OR (d.first_date, d.last_date, d.last_offset, d.kept_last, d.kept_run, d.longest)
                  IS DISTINCT FROM (f.first_date, f.last_date, f.last_offset, f.kept_last, f.kept_run, f.longest)
               OR abs(d.strength_sum - f.strength_sum) > {_FLOAT_SLACK} * greatest(1, f.strength_sum))
        FROM (SELECT * FROM rr_user_days WHERE user_id IN (SELECT id FROM u)) d
        FULL JOIN f ON f.user_id = d.user_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()
