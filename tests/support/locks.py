"""How long does a migration block live traffic on `rr_user`?

`measure_migration_lock` runs `manage.py migrate ...` in a subprocess while a separate
connection keeps issuing the short statements the application issues (read a user by
id, touch `last_login`, sign up a user the way the legacy release does), each in its own
transaction, and records every statement's latency. The longest latency seen while the
migration ran is the longest time a user request would have hung on the migration's locks.

    fill_users(name, 1_000_000)
    result = measure_migration_lock(name, "migrate", "rr")
    print(result.summary())

And how a test waits until a backend queues for a lock that the test holds:
`wait_for(lambda: backend_waiting_on(conn, "rr_checklist"), "the follow to block")`.
They read pg_locks, which is read afresh by every statement; pg_stat_activity is read once
per transaction, so a poll of it inside one (a connection holding a lock) never sees a change.
"""

import random
import threading
import time
from dataclasses import dataclass, field

from tests.support import pg, threads


def fill_users(name, rows):
    """Append `rows` legacy-style users to `rr_user` in one INSERT ... SELECT, then VACUUM ANALYZE.

    Only the legacy columns are named, so this works before and after migration 0004.
    The VACUUM leaves the table as a long-lived production table is (hint bits set,
    visibility map and statistics current), so that later scans are not slowed by
    first-touch work.
    """
    with pg.connect(name) as conn:
        conn.execute(
            """
            INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined)
            SELECT '!unusable', false, 'bulk_' || g, true, false, now() - g * interval '1 second'
            FROM generate_series(1, %s) AS g
            """,
            [rows],
        )
        conn.execute("VACUUM (ANALYZE) rr_user")


@dataclass
class Sample:
    operation: str
    started: float  # seconds since the measurement began
    latency: float  # seconds


@dataclass
class LockMeasurement:
    """What the busy connection saw while the migration ran."""

    migration_seconds: float  # wall time of the `manage.py` subprocess
    migration_window: tuple  # (start, end) in seconds since the measurement began
    samples: list = field(repr=False)  # every Sample, before, during and after the migration
    migration_output: str = field(repr=False, default="")

    @property
    def during(self):
        """Samples whose statement overlapped the migration."""
        start, end = self.migration_window
        return [s for s in self.samples if s.started + s.latency >= start and s.started <= end]

    @property
    def longest_block(self):
        """The longest single statement latency (seconds) during the migration."""
        return max((s.latency for s in self.during), default=0.0)

    @property
    def baseline(self):
        """The longest latency (seconds) before the migration started: the noise floor."""
        start, _ = self.migration_window
        return max((s.latency for s in self.samples if s.started + s.latency < start), default=0.0)

    def slowest(self, count=5):
        return sorted(self.during, key=lambda s: s.latency, reverse=True)[:count]

    def summary(self):
        slowest = ", ".join(
            f"{s.operation} {s.latency * 1000:.1f} ms at +{s.started - self.migration_window[0]:.2f} s"
            for s in self.slowest(3)
        )
        return (
            f"migration {self.migration_seconds:.2f} s; longest block {self.longest_block * 1000:.1f} ms "
            f"over {len(self.during)} statements (baseline {self.baseline * 1000:.1f} ms); "
            f"slowest: {slowest}"
        )


def _traffic(name, max_id, stop, samples, origin, errors):
    rng = random.Random(0)
    serial = 0
    try:
        with pg.connect(name) as conn:
            while not stop.is_set():
                serial += 1
                operation = ("select", "update", "insert")[serial % 3]
                user_id = rng.randint(1, max_id)
                started = time.perf_counter()
                if operation == "select":
                    conn.execute("SELECT id, username, last_login FROM rr_user WHERE id = %s", [user_id]).fetchone()
                elif operation == "update":
                    conn.execute("UPDATE rr_user SET last_login = now() WHERE id = %s", [user_id])
                else:
                    conn.execute(
                        "INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined)"
                        " VALUES ('!unusable', false, %s, true, false, now())",
                        [f"traffic_{serial}"],
                    )
                ended = time.perf_counter()
                samples.append(Sample(operation, started - origin, ended - started))
    except Exception as error:  # reported to the caller, which fails loudly
        errors.append(error)


def measure_migration_lock(name, *manage_args, warmup=0.5, cooldown=0.3, patch=None):
    """Run `manage.py <manage_args>` on database `name` under live traffic; return a LockMeasurement.

    The traffic runs on its own connection in a thread for `warmup` seconds before the
    migration starts (the baseline) and `cooldown` seconds after it ends. A failing
    traffic statement or migration raises. `patch` is passed to `pg.manage` (a deliberate
    breakage of the migrating process).
    """
    with pg.connect(name) as conn:
        max_id = conn.execute("SELECT max(id) FROM rr_user").fetchone()[0] or 1
    samples, errors, stop = [], [], threading.Event()
    origin = time.perf_counter()
    worker = threading.Thread(target=_traffic, args=(name, max_id, stop, samples, origin, errors))
    worker.start()
    try:
        time.sleep(warmup)
        start = time.perf_counter() - origin
        result = pg.manage(name, *manage_args, check=False, patch=patch)
        end = time.perf_counter() - origin
        time.sleep(cooldown)
    finally:
        stop.set()
        threads.join_all([worker], 60)
    if errors:
        raise RuntimeError(f"the traffic connection failed: {errors[0]!r}")
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(manage_args)} failed:\n{result.stdout}\n{result.stderr}")
    return LockMeasurement(
        migration_seconds=end - start,
        migration_window=(start, end),
        samples=samples,
        migration_output=result.stdout,
    )


def wait_for(predicate, what, timeout=10):
    """Poll `predicate()` until it returns something true, and return that.

    The timeout only turns a hang into a failure (an AssertionError naming `what`); it measures nothing.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def backend_waiting_on(conn, table):
    """The pid of a backend waiting for a lock on `table`, seen from psycopg connection `conn`; None if none."""
    row = conn.execute("SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted", [table]).fetchone()
    return row and row[0]


def waits_for_a_lock(conn, pid):
    """Whether backend `pid` waits for a lock (any), seen from psycopg connection `conn`."""
    return conn.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [pid]).fetchone() is not None


def migration_trials(filled, label, first, last, *, trials, target, before=None, after=None):
    """Migrate up to `trials` fresh copies of `filled` to the latest migration under traffic.

    Each trial must apply `first` and `last` while the traffic runs; `before(name)` runs on
    the copy first and `after(name, measurement, before's result)` once it has migrated.
    The best excess over a trial's noise floor must be under `target` seconds (the method
    of tests/migrations/test_big_table_lock.py). The trials stop at the first one under the
    target: the best of the trials is under it from then on, whatever later trials measure
    (noise only ever adds to a wait), so they could not change the verdict. Returns the
    measurements.
    """
    results = []
    while len(results) < trials and not any(m.longest_block - m.baseline < target for m in results):
        with pg.scratch_database(f"{label}_trial", template=filled) as name:
            prepared = before(name) if before else None
            measurement = measure_migration_lock(name, "migrate", "rr", "--noinput", warmup=1.5)
            if after:
                after(name, measurement, prepared)
        print(f"\n{first}..{last}: {measurement.summary()}")
        assert f"Applying rr.{first}... OK" in measurement.migration_output
        assert f"Applying rr.{last}... OK" in measurement.migration_output
        assert len(measurement.during) >= 20, "the traffic barely ran during the migration"
        results.append(measurement)
    best = min(m.longest_block - m.baseline for m in results)
    print(f"best excess over the noise floor: {best * 1000:.1f} ms")
    assert best < target, [m.summary() for m in results]
    return results
