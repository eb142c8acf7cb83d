"""`python -m bench.reminders [--users 1000000] [--rounds 21]`: the due-reminder query on a million users.

Every user has an enabled reminder, their `next_due_at` spread evenly over one day (the
worst case for a 5-minute cron: every user reminded daily). The query is
rr/notifications/selectors.py DUE_SQL as `manage.py send_reminders` runs it: the first
batch (500) due at one instant, 5 minutes into the day (about 3,500 rows due), FOR
UPDATE SKIP LOCKED, in a transaction rolled back after each round. Reported: the plan
(EXPLAIN ANALYZE, BUFFERS) and the median and worst time of `--rounds` rounds.

Needs BENCH_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/rr_bench);
builds and drops the scratch database <name>_reminders.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import django

from bench import env


def log(message):
    print(f"[reminders {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    env.use_bench_server()
    os.environ.update(
        {k: v for k, v in env.app_settings_env(os.environ["DATABASE_URL"]).items() if k != "DATABASE_URL"}
    )
    django.setup()
    from rr.notifications.selectors import DUE_SQL
    from tests.support import pg
    from tests.support.locks import fill_users

    start = datetime(2026, 1, 1, tzinfo=UTC)
    now = start + timedelta(minutes=5)
    with pg.scratch_database("reminders") as name:
        log(f"migrating {name}")
        pg.manage(name, "migrate", "--noinput")
        log(f"{args.users} users with a reminder each")
        fill_users(name, args.users)
        with pg.connect(name) as conn:
            conn.execute(
                "INSERT INTO rr_reminder (user_id, enabled, local_time, next_due_at, updated_at)"
                " SELECT id, true, '20:00', %s + (id %% 86400) * interval '1 second', now() FROM rr_user",
                [start],
            )
            conn.execute("VACUUM (ANALYZE) rr_reminder")
            params = {"now": now, "batch": 500}
            due = conn.execute("SELECT count(*) FROM rr_reminder WHERE next_due_at <= %s", [now]).fetchone()[0]
            times = []
            for _ in range(args.rounds):
                conn.execute("BEGIN")
                began = time.perf_counter()
                rows = conn.execute(DUE_SQL, params).fetchall()
                times.append((time.perf_counter() - began) * 1000)
                conn.execute("ROLLBACK")
            conn.execute("BEGIN")
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + DUE_SQL, params).fetchall()
            conn.execute("ROLLBACK")
            size = conn.execute("SELECT pg_size_pretty(pg_relation_size('rr_reminder_due_idx'))").fetchone()[0]
    print(f"users with a reminder: {args.users}; due at {now:%H:%M} UTC: {due}; rows returned: {len(rows)}")
    print(f"rr_reminder_due_idx: {size}")
    print(f"DUE_SQL: median {statistics.median(times):.2f} ms, worst {max(times):.2f} ms over {len(times)} rounds")
    print("\n".join(line for (line,) in plan))


if __name__ == "__main__":
    main()
