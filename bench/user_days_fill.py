"""Filling rr_user_days on a large database: `manage.py initialize_user_days` beside writers.

    DATABASE_URL=$BENCH_DATABASE_URL python -m bench.user_days_fill --users 1000000 --days 10

A scratch database `<DATABASE_URL's database>_udfill` gets the full schema, then, with
migration 0013's triggers disabled (the live database before 0013: days and no
summary), `users` users (daily goal 0.5) with one checklist a day for `days` days (half
of the users the previous release's rows without a local date) and one regret each;
VACUUM ANALYZE; the triggers enabled again. Then the command runs in a subprocess while
one connection keeps writing as users do, one statement per transaction: a score
crossing the goal (the trigger recomputes that user) and a new regret, for random users.
Reported: the command's wall time, its scans and batches (the longest a batch held its
users' summary rows), the writers' longest and 99th-percentile statement before and
during the run, and every lock stronger than ROW EXCLUSIVE that the command's backend
held on rr_checklist, rr_regret or rr_user (sampled every 5 ms). The drift left after it: 0.
"""

import argparse
import json
import os
import random
import subprocess
import threading
import time

from bench.env import PYTHON, REPO, app_settings_env
from tests.support import pg

BUILD = """
ALTER TABLE rr_checklist DISABLE TRIGGER USER;
ALTER TABLE rr_regret DISABLE TRIGGER USER;
ALTER TABLE rr_user DISABLE TRIGGER USER;
INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined, daily_goal)
SELECT '!', false, 'fill' || g, true, false, now(), 0.5 FROM generate_series(1, %(users)s) AS g;
INSERT INTO rr_checklist (user_id, created_at, score, completed, local_date, utc_offset_minutes)
SELECT u.id, now() - d * interval '1 day', ((u.id * 7919 + d * 104729) %% 3) / 2.0, d > 0,
       CASE WHEN u.id %% 2 = 0 THEN (now() - d * interval '1 day' + interval '2 hours')::date END,
       CASE WHEN u.id %% 2 = 0 THEN 120 END
FROM rr_user u, generate_series(0, %(days)s - 1) AS d;
INSERT INTO rr_regret (checklist_id, description, created_at, success)
SELECT c.id, 'regret', c.created_at, c.score < 1 FROM rr_checklist c;
ALTER TABLE rr_checklist ENABLE TRIGGER USER;
ALTER TABLE rr_regret ENABLE TRIGGER USER;
ALTER TABLE rr_user ENABLE TRIGGER USER;
"""


def build(name, users, days, log):
    pg.create_database(name)
    pg.manage(name, "migrate", "--noinput", env=app_settings_env(pg.database_url(name)))
    started = time.perf_counter()
    with pg.connect(name) as conn:
        sql = BUILD.replace("%(users)s", str(users)).replace("%(days)s", str(days)).replace("%%", "%")
        for statement in filter(str.strip, sql.split(";")):  # each its own transaction
            conn.execute(statement)
        for table in ("rr_user", "rr_checklist", "rr_regret"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    log(f"built {users:,} users x {days} days in {time.perf_counter() - started:.0f} s")


class Writer:
    """One connection writing as users do; the latency of every statement, by phase."""

    def __init__(self, name, users):
        self.conn = pg.connect(name)
        self.ids = [row[0] for row in self.conn.execute("SELECT id FROM rr_user ORDER BY random() LIMIT 2000")]
        self.phase, self.times, self.stop = "before", {"before": [], "during": [], "after": []}, False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        rng = random.Random(7)
        while not self.stop:
            user = rng.choice(self.ids)
            for sql in (
                "UPDATE rr_checklist SET score = CASE WHEN score <= 0.5 THEN 1 ELSE 0 END"
                " WHERE id = (SELECT id FROM rr_checklist WHERE user_id = %s ORDER BY created_at DESC LIMIT 1)",
                "INSERT INTO rr_regret (checklist_id, description, created_at, success)"
                " SELECT id, 'more', now(), false FROM rr_checklist WHERE user_id = %s ORDER BY created_at DESC LIMIT 1",
            ):
                started = time.perf_counter()
                self.conn.execute(sql, [user])
                self.times[self.phase].append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)


def lock_sampler(name, writer_pid, found, stop):
    """Every lock stronger than ROW EXCLUSIVE on the three tables held by a backend other than
    the writer's and this one's (the command's, on the scratch database)."""
    with pg.connect(name) as conn:
        while not stop.is_set():
            for row in conn.execute(
                "SELECT relation::regclass::text, mode FROM pg_locks"
                " WHERE granted AND pid NOT IN (%s, pg_backend_pid())"
                " AND relation IN ('rr_checklist'::regclass, 'rr_regret'::regclass, 'rr_user'::regclass)"
                " AND mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')",
                [writer_pid],
            ):
                found.add(row)
            time.sleep(0.005)


def _figures(values):
    values = sorted(values)
    if not values:
        return {}
    return {
        "n": len(values),
        "max_ms": round(values[-1], 1),
        "p99_ms": round(values[int(len(values) * 0.99) - 1], 1),
        "median_ms": round(values[len(values) // 2], 2),
    }


def run(name, log):
    writer = Writer(name, None)
    writer.thread.start()
    time.sleep(10)
    writer.phase = "during"
    locks, stop = set(), threading.Event()
    writer_pid = writer.conn.info.backend_pid
    sampler = threading.Thread(target=lock_sampler, args=(name, writer_pid, locks, stop), daemon=True)
    sampler.start()
    env = {**os.environ, **app_settings_env(pg.database_url(name))}
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "manage.py", "initialize_user_days"], cwd=REPO, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    writer.phase = "after"
    stop.set()
    time.sleep(3)
    writer.stop = True
    writer.thread.join(10)
    with pg.connect(name) as conn:
        (left,) = conn.execute(
            "SELECT count(*) FROM rr_user u FULL JOIN rr_user_days d ON d.user_id = u.id"
            " LEFT JOIN rr_user_days_compute(ARRAY(SELECT id FROM rr_user)) f ON f.user_id = u.id"
            " WHERE row(d.*)::text IS DISTINCT FROM row(f.*)::text"
        ).fetchone()
        load = os.getloadavg()
    figures = {
        "wall_s": round(wall, 1),
        "command": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:],
        "writers_before": _figures(writer.times["before"]),
        "writers_during": _figures(writer.times["during"]),
        "locks_stronger_than_row_exclusive": sorted(locks),
        "rows_differing_after": left,
        "load_average": [round(x, 1) for x in load],
    }
    log(json.dumps(figures, indent=2))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it when it exists)")
    args = parser.parse_args()
    name = pg.scratch_name("udfill")
    if not (args.keep and pg.database_exists(name)):
        build(name, args.users, args.days, print)
    try:
        run(name, print)
    finally:
        if not args.keep:
            pg.drop_database(name)


if __name__ == "__main__":
    main()
