"""Recount `followers_count` / `following_count` from `rr_network`: drift repair and monitoring.

A run walks the users by keyset over id in two steps per window of `scan_size` users:

1. **Find** the window's drifting users without taking any lock: one read-only
   statement compares the stored counts with two range aggregates over `rr_network`
   (read in order from the (following_id, id) and (follower_id, id) indexes).
2. **Repair** only those users, in batches of at most `batch_size`: lock them
   (rr.common.locks.users_lock, the trigger's lock order), recount in a *later*
   statement, write the rows that still differ, commit.

Why the scan misses no drift and the repair no concurrent follow (the scan is one
statement; the lock and the recount are two): docs/ARCHITECTURE.md, "Why the concurrent
writes are right". A batch waits at most LOCK_TIMEOUT for a row, then is retried, and
writes only rows that differ: a second run changes nothing, an interrupted one restarts.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from rr.common import locks
from rr.ops.batches import locked_batch

logger = logging.getLogger("rr.ops.counts")

# Sizes chosen on 1,000,000 users and 10,000,000 follows: a scan locks nothing and a repair
# batch holds its locks for milliseconds (docs/BENCHMARKS.md, benchmark 4).
DEFAULT_SCAN_SIZE = 20_000
DEFAULT_BATCH_SIZE = 1000
LOCK_TIMEOUT = "2s"
BATCH_ATTEMPTS = 5
SAMPLE_LIMIT = 50

# The last id and the number of the next `scan_size` users after `after` (keyset).
_WINDOW_SQL = "SELECT max(id), count(*) FROM (SELECT id FROM rr_user WHERE id > %s ORDER BY id LIMIT %s) AS w"

# The users of the id range (after, last] whose stored counts differ from their links.
# One statement: the counts it reads and the links it counts come from one snapshot
# (see the module docstring). A dry run reports stored and true values; a repair needs
# only the ids, since it recounts under lock.
_SCAN_SQL = """
SELECT {columns}
FROM rr_user u
LEFT JOIN (
    SELECT following_id AS id, count(*) AS n FROM rr_network
    WHERE following_id > %(after)s AND following_id <= %(last)s
    GROUP BY following_id
) fr ON fr.id = u.id
LEFT JOIN (
    SELECT follower_id AS id, count(*) AS n FROM rr_network
    WHERE follower_id > %(after)s AND follower_id <= %(last)s
    GROUP BY follower_id
) fg ON fg.id = u.id
WHERE u.id > %(after)s AND u.id <= %(last)s
  AND (u.followers_count, u.following_count) IS DISTINCT FROM (COALESCE(fr.n, 0), COALESCE(fg.n, 0))
ORDER BY u.id
"""
_SCAN_DRIFTS_SQL = _SCAN_SQL.format(
    columns="u.id, u.username, u.followers_count, COALESCE(fr.n, 0), u.following_count, COALESCE(fg.n, 0)"
)
_SCAN_IDS_SQL = _SCAN_SQL.format(columns="u.id")

# Recount the given (locked) users and write those whose counts differ; stored and
# true values of the rows written. Two index look-ups per user, once each (MATERIALIZED:
# inlined, the counts would be evaluated again for the SET and the RETURNING).
_REPAIR_SQL = """
WITH d AS MATERIALIZED (
    SELECT u.id, u.username,
           u.followers_count AS followers_stored,
           (SELECT count(*) FROM rr_network n WHERE n.following_id = u.id) AS followers,
           u.following_count AS following_stored,
           (SELECT count(*) FROM rr_network n WHERE n.follower_id = u.id) AS following
    FROM rr_user u
    WHERE u.id = ANY(%s)
)
UPDATE rr_user AS target
SET followers_count = d.followers, following_count = d.following
FROM d
WHERE target.id = d.id AND (d.followers_stored, d.following_stored) IS DISTINCT FROM (d.followers, d.following)
RETURNING d.id, d.username, d.followers_stored, d.followers, d.following_stored, d.following
"""


class CountRepairStalled(Exception):
    """A batch could not lock its users within LOCK_TIMEOUT, BATCH_ATTEMPTS times in a row."""


@dataclass(frozen=True)
class CountDrift:
    user_id: int
    username: str
    followers_stored: int
    followers_true: int
    following_stored: int
    following_true: int


@dataclass
class CountReport:
    dry_run: bool
    checked: int = 0
    suspected: int = 0  # flagged by the lock-free scans
    differing: int = 0  # dry run: as the scans saw them; repair: as recounted under lock
    updated: int = 0
    scans: int = 0
    slowest_scan_ms: float = 0.0
    batches: int = 0  # repair transactions, each holding row locks from its lock to its commit
    slowest_batch_ms: float = 0.0
    samples: list[CountDrift] = field(default_factory=list)  # the first SAMPLE_LIMIT drifts, never more

    @property
    def drift_found(self) -> bool:
        return self.differing > 0

    def _add(self, drifts: list[CountDrift]) -> None:
        self.differing += len(drifts)
        self.samples.extend(drifts[: SAMPLE_LIMIT - len(self.samples)])


def users_total() -> int:
    """How many users a full run walks (for progress display)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rr_user")
        return cursor.fetchone()[0]


def _scan(after: int, scan_size: int, *, ids_only: bool) -> tuple[Any, int, list[tuple[Any, ...]]]:
    """(last id, users checked, drifting rows) of the next `scan_size` users after id `after`."""
    # READ ONLY: the database itself refuses any write a scan (and so a dry run) might attempt.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(_WINDOW_SQL, [after, scan_size])
        last, checked = cursor.fetchone()
        if not checked:
            return None, 0, []
        cursor.execute(_SCAN_IDS_SQL if ids_only else _SCAN_DRIFTS_SQL, {"after": after, "last": last})
        return last, checked, cursor.fetchall()


def _repair(ids: list[int]) -> Callable[[CursorWrapper], list[tuple[Any, ...]]]:
    def work(cursor: CursorWrapper) -> list[tuple[Any, ...]]:
        locks.users_lock(ids)
        # A later statement: its snapshot is taken once every lock above is granted.
        cursor.execute(_REPAIR_SQL, [ids])
        return sorted(cursor.fetchall())  # RETURNING has no order; report in id order

    return work


def _repair_batch_retrying(ids: list[int]) -> tuple[list[tuple[Any, ...]], float]:
    """The batch's rows written, and how long its successful transaction held its locks (ms)."""
    stalled = CountRepairStalled(
        f"Drifting users from id {ids[0]} stayed locked by other transactions: no user from id {ids[0]} "
        f"on was repaired, every user before it was. Run the command again."
    )
    return locked_batch(
        _repair(ids),
        ids,
        lock_timeout=LOCK_TIMEOUT,
        attempts=BATCH_ATTEMPTS,
        logger=logger,
        what="count repair",
        stalled=stalled,
    )


def network_counts_repair(
    *,
    dry_run: bool = False,
    scan_size: int = DEFAULT_SCAN_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> CountReport:
    """Make every user's counts equal their links in `rr_network`; with `dry_run`, only report.

    Invariant kept: after a run that returns, every user that existed when its window
    was scanned has counts equal to the truth, whatever follows and unfollows ran
    meanwhile (see the module docstring). Only drifting users are locked, at most
    `batch_size` at a time, and rows already right are not written. Memory holds one
    window's drifting rows and at most SAMPLE_LIMIT drifts. `on_progress(n)` is called
    with the number of users each window checked.
    """
    if scan_size < 1 or batch_size < 1:
        raise ValueError("scan_size and batch_size must be positive")
    report = CountReport(dry_run=dry_run)
    after = 0
    while True:
        started = time.perf_counter()
        last, checked, rows = _scan(after, scan_size, ids_only=not dry_run)
        if not checked:
            break
        report.slowest_scan_ms = max(report.slowest_scan_ms, (time.perf_counter() - started) * 1000)
        report.scans += 1
        report.checked += checked
        report.suspected += len(rows)
        if dry_run:
            report._add([CountDrift(*row) for row in rows])
        else:
            ids = [row[0] for row in rows]
            for start in range(0, len(ids), batch_size):
                _repair_and_report(ids[start : start + batch_size], report)
        if on_progress is not None:
            on_progress(checked)
        after = last
    logger.info(
        "count check finished" if dry_run else "count repair finished",
        extra={
            "dry_run": dry_run,
            "users_checked": report.checked,
            "users_suspected": report.suspected,
            "users_differing": report.differing,
            "users_updated": report.updated,
            "scans": report.scans,
            "slowest_scan_ms": round(report.slowest_scan_ms, 2),
            "batches": report.batches,
            "slowest_batch_ms": round(report.slowest_batch_ms, 2),
        },
    )
    return report


def _repair_and_report(ids: list[int], report: CountReport) -> None:
    rows, held_ms = _repair_batch_retrying(ids)
    report.batches += 1
    report.slowest_batch_ms = max(report.slowest_batch_ms, held_ms)
    drifts = [CountDrift(*row) for row in rows]
    report._add(drifts)
    report.updated += len(drifts)
    for drift in drifts:
        logger.info("count repaired", extra=_drift_fields(drift))


def _drift_fields(drift: CountDrift) -> dict[str, int]:
    return {
        "target_user_id": drift.user_id,
        "followers_before": drift.followers_stored,
        "followers_after": drift.followers_true,
        "following_before": drift.following_stored,
        "following_after": drift.following_true,
    }


def network_counts_drifting(*, sample: int | None = None) -> tuple[int, int]:
    """How many users' stored counts differ from `rr_network`, and how many were looked at.

    Exact over every user, or over a random sample of about `sample` users (Bernoulli
    sampling of `rr_user`) for large databases. Reads only.
    """
    where = ""
    if sample:
        total = users_total()
        if total > sample:
            where = f"TABLESAMPLE BERNOULLI ({100.0 * sample / total:.6f})"
    sql = f"""
        SELECT count(*),
               count(*) FILTER (WHERE (u.followers_count, u.following_count) IS DISTINCT FROM (
                   (SELECT count(*) FROM rr_network n WHERE n.following_id = u.id),
                   (SELECT count(*) FROM rr_network n WHERE n.follower_id = u.id)))
        FROM rr_user u {where}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        checked, differing = cursor.fetchone()
    return checked, differing
