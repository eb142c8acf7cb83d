"""Recount `followers_count` / `following_count` from `rr_network`: drift repair and monitoring.

Why the repair is right while users follow and unfollow
--------------------------------------------------------
Every write to `rr_network` moves the counts through migration 0004's trigger, which
first row-locks both users (ascending id, FOR NO KEY UPDATE) and commits with the
row. A batch of the repair takes that same lock on its users, in the same order, and
only then, in a *later* statement, counts their links and writes the difference:

- a follow whose trigger already held one of the batch's users is waited for; under
  READ COMMITTED the counting statement starts after the wait, so it sees that
  follow committed and counts it;
- a follow that inserted its row but has not locked yet waits for the batch at its
  trigger; the batch does not see the uncommitted row, writes the count without it,
  commits, and the trigger then adds its +1 to the corrected value.

So no follow can commit between the count and the write of the users it touches.
Locking and counting must stay two statements: a single statement would take its
snapshot before waiting for the locks and miss what it waited for.

Each batch is one short transaction (ids are walked by keyset, never listed whole),
waits at most LOCK_TIMEOUT for a row held elsewhere and is then retried, and writes
only rows that differ, so a second run changes nothing and an interrupted run can
simply be started again.
"""

import logging
import time
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction
from psycopg.errors import LockNotAvailable

logger = logging.getLogger("rr.ops.counts")

# A batch of 1,000 users locks its rows for a few milliseconds (docs/OPERATIONS.md).
DEFAULT_BATCH_SIZE = 1000
LOCK_TIMEOUT = "2s"
BATCH_ATTEMPTS = 5
SAMPLE_LIMIT = 50

# Stored and true counts of the given users, for those whose counts differ. One
# statement, so the links it counts and the counts it reads come from one snapshot.
_DRIFT_SQL = """
SELECT u.id, u.username, u.followers_count, t.followers, u.following_count, t.following
FROM rr_user u
CROSS JOIN LATERAL (
    SELECT (SELECT count(*) FROM rr_network n WHERE n.following_id = u.id) AS followers,
           (SELECT count(*) FROM rr_network n WHERE n.follower_id = u.id) AS following
) t
WHERE u.id = ANY(%s)
  AND (u.followers_count, u.following_count) IS DISTINCT FROM (t.followers, t.following)
ORDER BY u.id
"""

_REPAIR_SQL = f"""
UPDATE rr_user AS target
SET followers_count = d.followers, following_count = d.following
FROM ({_DRIFT_SQL}) AS d (id, username, followers_stored, followers, following_stored, following)
WHERE target.id = d.id
RETURNING d.id, d.username, d.followers_stored, d.followers, d.following_stored, d.following
"""

_BATCH_SQL = "SELECT id FROM rr_user WHERE id > %s ORDER BY id LIMIT %s"


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
    differing: int = 0
    updated: int = 0
    batches: int = 0
    slowest_batch_ms: float = 0.0
    samples: list = field(default_factory=list)  # the first SAMPLE_LIMIT drifts, never more

    @property
    def drift_found(self):
        return self.differing > 0

    def _add(self, drifts):
        self.differing += len(drifts)
        self.samples.extend(drifts[: SAMPLE_LIMIT - len(self.samples)])


def users_total():
    """How many users a full run walks (for progress display)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rr_user")
        return cursor.fetchone()[0]


def _dry_batch(after, batch_size):
    # READ ONLY: the database itself refuses any write a dry run might attempt.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(_BATCH_SQL, [after, batch_size])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return ids, []
        cursor.execute(_DRIFT_SQL, [ids])
        return ids, cursor.fetchall()


def _repair_batch(after, batch_size):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"{_BATCH_SQL} FOR NO KEY UPDATE", [after, batch_size])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return ids, []
        cursor.execute(_REPAIR_SQL, [ids])
        return ids, sorted(cursor.fetchall())  # RETURNING has no order; report in id order


def _repair_batch_retrying(after, batch_size):
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return _repair_batch(after, batch_size)
        except OperationalError as exc:
            if not isinstance(exc.__cause__, LockNotAvailable):
                raise
            logger.warning(
                "count repair batch waited too long for a lock", extra={"after_id": after, "attempt": attempt}
            )
            time.sleep(0.2 * attempt)
    raise CountRepairStalled(
        f"Users after id {after} stayed locked by other transactions; nothing after them was changed. "
        "Run the command again."
    )


def network_counts_repair(*, dry_run=False, batch_size=DEFAULT_BATCH_SIZE, on_progress=None):
    """Make every user's counts equal their links in `rr_network`; with `dry_run`, only report.

    Invariant kept: after a run that returns, every user that existed when its batch
    ran has counts equal to the truth, whatever follows and unfollows ran meanwhile
    (see the module docstring). Rows already right are not written. Memory holds one
    batch of ids and at most SAMPLE_LIMIT drifts. `on_progress(n)` is called with
    the number of users each batch checked.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    report = CountReport(dry_run=dry_run)
    after = 0
    while True:
        started = time.perf_counter()
        if dry_run:
            ids, rows = _dry_batch(after, batch_size)
        else:
            ids, rows = _repair_batch_retrying(after, batch_size)
        if not ids:
            break
        report.slowest_batch_ms = max(report.slowest_batch_ms, (time.perf_counter() - started) * 1000)
        report.batches += 1
        report.checked += len(ids)
        drifts = [CountDrift(*row) for row in rows]
        report._add(drifts)
        if not dry_run:
            report.updated += len(drifts)
            for drift in drifts:
                logger.info("count repaired", extra=_drift_fields(drift))
        if on_progress is not None:
            on_progress(len(ids))
        after = ids[-1]
    logger.info(
        "count check finished" if dry_run else "count repair finished",
        extra={
            "dry_run": dry_run,
            "users_checked": report.checked,
            "users_differing": report.differing,
            "users_updated": report.updated,
            "batches": report.batches,
            "slowest_batch_ms": round(report.slowest_batch_ms, 2),
        },
    )
    return report


def _drift_fields(drift):
    return {
        "target_user_id": drift.user_id,
        "followers_before": drift.followers_stored,
        "followers_after": drift.followers_true,
        "following_before": drift.following_stored,
        "following_after": drift.following_true,
    }


def network_counts_drifting(*, sample=None):
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
