"""Benchmark 5: the networking migrations (0004 + 0005) on a 1,000,000-row rr_user under traffic.

Reuses the colleague's helpers in tests/support/locks.py: `fill_users` appends legacy
users in one INSERT ... SELECT, and `measure_migration_lock` runs `manage.py migrate rr`
in a subprocess while another connection reads, updates and inserts rr_user rows, one
statement per transaction, timing each. Its longest latency during the migration is the
longest time a request would have hung on the migration's locks.
"""

from tests.support import locks, pg


def _rr_applied(name):
    with pg.connect(name) as conn:
        rows = conn.execute("SELECT name FROM django_migrations WHERE app = 'rr' ORDER BY id").fetchall()
    return [row[0] for row in rows]


def _figures(measurement, applied):
    return {
        "applied": applied,
        "migration_seconds": measurement.migration_seconds,
        "longest_block_ms": measurement.longest_block * 1000,
        "baseline_ms": measurement.baseline * 1000,
        "statements_during": len(measurement.during),
        "slowest": [
            f"{s.operation} {s.latency * 1000:.1f} ms at +{s.started - measurement.migration_window[0]:.2f} s"
            for s in measurement.slowest(3)
        ],
    }


def run(*, users, log):
    """0004 + 0005 measured, then any later rr migration (0006, ...) measured apart."""
    name = pg.scratch_name("migration")
    log(f"  building {name}: legacy schema (rr 0003) and {users:,} users")
    pg.create_database(name)
    try:
        pg.manage(name, "migrate", "rr", "0003", "--noinput")
        locks.fill_users(name, users)
        before = _rr_applied(name)
        log("  migrate rr 0005 (0004 + 0005) under traffic")
        # The helper's manage() runs with this process's environment: the bench settings.
        networking = locks.measure_migration_lock(name, "migrate", "rr", "0005", "--noinput")
        middle = _rr_applied(name)
        with pg.connect(name) as conn:
            # The helper's traffic signs up traffic_1, traffic_2, ... on every run: make room.
            conn.execute(r"DELETE FROM rr_user WHERE username LIKE 'traffic\_%'")
        log("  migrate rr (the later migrations) under traffic")
        later = locks.measure_migration_lock(name, "migrate", "rr", "--noinput")
        after = _rr_applied(name)
    finally:
        pg.drop_database(name)
    result = {"users": users, **_figures(networking, middle[len(before) :])}
    if len(after) > len(middle):
        result["later"] = _figures(later, after[len(middle) :])
    return result
