"""`python -m bench.ops counts|user_days|reminders|list [--users N] [--per-user K]`: what operations run, at scale.

counts: `manage.py initialize_network_counts` on N users with K follows each, 1 % drifted, against
one raw UPDATE; user_days: `manage.py initialize_user_days` on N users with K days each, as before
migration 0013's rows; each beside a writer. reminders: the cron's DUE_SQL on N users, and its plan.
list: the network list's page statement (network_page's, 1,001 rows) on N users with 10 days each, 10 follows
each, and a viewer following 1,000 friends with K days each (their rr_user_days filled), and its plan.
The method and the figures: docs/BENCHMARKS.md. Database `<DATABASE_URL's name>_ops_<job>`, dropped.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import django
import psycopg

from bench import data
from bench.load.run import percentile
from bench.load.server import REPO, app_env, derived_name, log, migrated_database

TRUE_COUNTS_SQL = """
SELECT u.id, COALESCE(fr.n, 0) AS followers, COALESCE(fg.n, 0) AS following
FROM rr_user u
LEFT JOIN (SELECT following_id AS id, count(*) AS n FROM rr_network GROUP BY following_id) fr ON fr.id = u.id
LEFT JOIN (SELECT follower_id AS id, count(*) AS n FROM rr_network GROUP BY follower_id) fg ON fg.id = u.id
"""
RAW_REPAIR_SQL = f"""
UPDATE rr_user AS u SET followers_count = t.followers, following_count = t.following
FROM ({TRUE_COUNTS_SQL}) AS t
WHERE t.id = u.id AND (u.followers_count, u.following_count) IS DISTINCT FROM (t.followers, t.following)
"""
DRIFTING_SQL = f"""
SELECT count(*) FROM rr_user AS u JOIN ({TRUE_COUNTS_SQL}) AS t ON t.id = u.id
WHERE (u.followers_count, u.following_count) IS DISTINCT FROM (t.followers, t.following)
"""
USER_DAYS_BUILD = """
INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined, daily_goal)
SELECT '!', false, 'fill' || g, true, false, now(), 0.5 FROM generate_series(1, {users}) AS g;
INSERT INTO rr_checklist (user_id, created_at, score, completed, local_date, utc_offset_minutes)
SELECT u.id, now() - d * interval '1 day', ((u.id * 7919 + d * 104729) % 3) / 2.0, d > 0,
       CASE WHEN u.id % 2 = 0 THEN (now() - d * interval '1 day' + interval '2 hours')::date END,
       CASE WHEN u.id % 2 = 0 THEN 120 END
FROM rr_user u, generate_series(0, {per_user} - 1) AS d;
INSERT INTO rr_regret (checklist_id, description, created_at, success)
SELECT c.id, 'regret', c.created_at, c.score < 1 FROM rr_checklist c
"""
USER_DAYS_DIFFERING_SQL = """SELECT count(*) FROM rr_user u FULL JOIN rr_user_days d ON d.user_id = u.id
LEFT JOIN rr_user_days_compute(ARRAY(SELECT id FROM rr_user)) f ON f.user_id = u.id WHERE row(d.*)::text IS DISTINCT FROM row(f.*)::text"""
JOBS = {  # command, tables watched for locks, the writer's statements (%(u)s a random user, %(c)s the celebrity)
    "counts": ("initialize_network_counts", ("rr_user", "rr_network"), (
        "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%(u)s, %(c)s, now()) ON CONFLICT DO NOTHING",
        "DELETE FROM rr_network WHERE follower_id = %(u)s AND following_id = %(c)s")),
    "list": (None, (), ()),
    "reminders": (None, (), ()),
    "user_days": ("initialize_user_days", ("rr_user", "rr_checklist", "rr_regret"), (
        "UPDATE rr_checklist SET score = CASE WHEN score <= 0.5 THEN 1 ELSE 0 END WHERE id ="
        " (SELECT id FROM rr_checklist WHERE user_id = %(u)s ORDER BY created_at DESC LIMIT 1)",
        "INSERT INTO rr_regret (checklist_id, description, created_at, success) SELECT id, 'more', now(), false"
        " FROM rr_checklist WHERE user_id = %(u)s ORDER BY created_at DESC LIMIT 1")),
}  # fmt: skip
DUE_DAY = datetime(2026, 1, 1, tzinfo=UTC)
PEAK_RSS = (  # the process in between: runs the command, prints its exit code and peak RSS (KiB) last
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, status, usage = os.wait4(p.pid, 0); "
    "print('RR_RSS', os.waitstatus_to_exitcode(status), usage.ru_maxrss, flush=True)"
)


def network_bulk_load(conn, insert):
    """`insert(cursor)` into rr_network with its keys, indexes and triggers off, then rebuilt as the catalog had them."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint WHERE conrelid = 'rr_network'::regclass"
        " AND contype IN ('p', 'u', 'f') ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, conname"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid ="
        " 'rr_network'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)"
    ).fetchall()
    for name, _, _ in reversed(constraints):
        conn.execute(f'ALTER TABLE rr_network DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("SET session_replication_role = replica")  # no count triggers during the load
    with conn.cursor() as cursor:
        inserted = insert(cursor)
    conn.execute("RESET session_replication_role")
    conn.execute("SET maintenance_work_mem = '256MB'")
    for definition in [f'ALTER TABLE rr_network ADD CONSTRAINT "{n}" {d}' for n, d, k in constraints if k != "f"] + [
        d for _, d in indexes
    ] + [f'ALTER TABLE rr_network ADD CONSTRAINT "{n}" {d}' for n, d, k in constraints if k == "f"]:  # fmt: skip
        conn.execute(definition)
    return inserted


def triggers(conn, state):
    for table in ("rr_checklist", "rr_regret", "rr_user"):
        conn.execute(f"ALTER TABLE {table} {state} TRIGGER USER")


def vacuum_analyze(conn, *tables):
    for table in tables:
        conn.execute(f"VACUUM (ANALYZE) {table}")


def build(job, conn, users, per_user):
    """The job's data; the celebrity's id (the writer's target; list: the viewer) and the job's own figures."""
    if job == "list":  # users 1..1,000 the friends, 1,001 the viewer; rr_user_days of the friends only
        triggers(conn, "DISABLE")
        with conn.cursor() as cursor:
            ids = data.users_insert(cursor, "l", users)
            friends, viewer = ids[:1000], ids[1000]
            data.checklists_insert(cursor, ids[1000:], 10)
            data.checklists_insert(cursor, friends, per_user, regrets_each=1)
            cursor.execute("INSERT INTO rr_user_days SELECT * FROM rr_user_days_compute(%s::bigint[])", [friends])
        triggers(conn, "ENABLE")
        follows = network_bulk_load(conn, lambda cursor: data.graph_insert(  # the others' graph
            cursor, base=ids[1001], n=users - 1001, per_user=min(10, (users - 1002) // data.STRIDE)))  # fmt: skip
        with conn.cursor() as cursor:
            data.follows_insert(cursor, viewer, friends)  # the count triggers on
        vacuum_analyze(conn, "rr_user", "rr_checklist", "rr_regret", "rr_network", "rr_user_days")
        return viewer, {"others_follows": follows}
    if job == "reminders":  # each user's next_due_at a second apart, over a day from 2026-01-01
        with conn.cursor() as cursor:
            data.users_insert(cursor, "r", users)
        conn.execute(
            "INSERT INTO rr_reminder (user_id, enabled, local_time, next_due_at, updated_at) SELECT id, true, '20:00',"
            " %s + (id %% 86400) * interval '1 second', now() FROM rr_user", [DUE_DAY]
        )  # fmt: skip
        vacuum_analyze(conn, "rr_reminder")
        return None, {}
    if job == "user_days":
        triggers(conn, "DISABLE")
        for statement in USER_DAYS_BUILD.format(users=users, per_user=per_user).split(";"):  # each its own transaction
            conn.execute(statement)
        triggers(conn, "ENABLE")
        vacuum_analyze(conn, "rr_user", "rr_checklist", "rr_regret")
        return conn.execute("SELECT min(id) FROM rr_user").fetchone()[0], {}
    with conn.cursor() as cursor:
        base = data.users_insert(cursor, "u", users)[0]
    follows = network_bulk_load(conn, lambda cursor: data.graph_insert(cursor, base=base, n=users, per_user=per_user))
    conn.execute(RAW_REPAIR_SQL)  # true counts to start from
    vacuum_analyze(conn, "rr_user", "rr_network")
    conn.execute(DRIFTING_SQL)  # caches warmed alike for both contenders
    with conn.cursor() as cursor:
        data.drift_introduce(cursor, celebrity=base)
    (drifting,) = conn.execute(DRIFTING_SQL).fetchone()
    started = time.perf_counter()
    conn.execute(RAW_REPAIR_SQL)
    raw = time.perf_counter() - started
    with conn.cursor() as cursor:
        data.drift_introduce(cursor, celebrity=base)
    vacuum_analyze(conn, "rr_user")
    return base, {"follows": follows, "drifting": drifting, "raw_seconds": raw}


def command(env, *args):
    """manage.py *args under the process in between: (seconds, peak RSS MiB, exit code, stdout)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, sys.executable, "manage.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    _, code, rss = done.stdout.strip().splitlines()[-1].split()
    return seconds, int(rss) / 1024, int(code), done.stdout + done.stderr[-2000:]


def timings(values):
    return {"n": len(values), **{f"{name}_ms": percentile(values, share) for name, share in (("median", 0.5), ("p99", 0.99), ("max", 1))}}  # fmt: skip


def statement_timed(conn, sql, params, figures, rounds=21):
    """`sql` run `rounds` times from the client, each rolled back, then once under EXPLAIN: its timings."""
    times = []
    for _ in range(rounds):
        with conn.transaction(force_rollback=True):
            started = time.perf_counter()
            figures["returned"] = len(conn.execute(sql, params).fetchall())
            times.append((time.perf_counter() - started) * 1000)
    with conn.transaction(force_rollback=True):
        figures["plan"] = [row for (row,) in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
    return timings(times)


def due_reminders(url, figures):
    """DUE_SQL as send_reminders runs it, the first batch of 500 due 5 minutes into the day."""
    from rr.notifications.selectors import DUE_SQL

    params = {"now": DUE_DAY + timedelta(minutes=5), "batch": 500}
    with psycopg.connect(url, autocommit=True) as conn:
        figures["due"] = conn.execute(
            "SELECT count(*) FROM rr_reminder WHERE next_due_at <= %(now)s", params
        ).fetchone()[0]
        figures["due_sql"] = statement_timed(conn, DUE_SQL, params, figures)
        figures["index"] = conn.execute("SELECT pg_size_pretty(pg_relation_size('rr_reminder_due_idx'))").fetchone()[0]


def network_list(url, viewer, figures):
    """The statement of the viewer's "following" page that network_page sends (1,001 rows, bound
    client-side as Django does), without the viewer's nudges it sends in the same round trip."""
    from rr.checklists.services import checklist_latest_bound
    from rr.network.selectors import _PAGE_SQLS, NO_CURSOR

    params = {"viewer": viewer, "cursor": NO_CURSOR, "limit": 1001, "bound": checklist_latest_bound()}
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        figures["rows"] = dict(zip(("rr_user", "rr_checklist", "rr_network"), conn.execute(
            "SELECT (SELECT count(*) FROM rr_user), (SELECT count(*) FROM rr_checklist), (SELECT count(*) FROM rr_network)"
        ).fetchone()))  # fmt: skip
        figures["page_sql"] = statement_timed(conn, _PAGE_SQLS["following"], params, figures)


def measure(job, url, celebrity, figures):
    if job in ("reminders", "list"):  # a statement of the app's, run by this process
        os.environ.update(app_env(url))
        django.setup()
        if job == "list":
            network_list(url, celebrity, figures)
        else:
            due_reminders(url, figures)
        figures["left"] = 0
        return figures
    name, tables, writes = JOBS[job]
    env = {**os.environ, **app_env(url), "PYTHONPYCACHEPREFIX": str(REPO / "bench" / "results" / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command(env, name, "--help")  # untimed: the bytecode cache filled
    writer, phase, times, locks, stop = psycopg.connect(url, autocommit=True), ["before"], {}, set(), threading.Event()
    ids = [row[0] for row in writer.execute("SELECT id FROM rr_user ORDER BY random() LIMIT 2000")]

    def write():
        rng = random.Random(7)
        while not stop.is_set():
            params = {"u": rng.choice(ids), "c": celebrity}
            for statement in writes:
                started = time.perf_counter()
                writer.execute(statement, params)
                times.setdefault(phase[0], []).append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)

    def sample():
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.is_set():
                locks.update(conn.execute(
                    "SELECT relation::regclass::text, mode FROM pg_locks WHERE locktype = 'relation' AND granted AND pid NOT IN (%s, pg_backend_pid())"
                    " AND relation = ANY(%s::regclass[]) AND mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')",
                    [writer.info.backend_pid, list(tables)]).fetchall())  # fmt: skip
                time.sleep(0.005)

    threads = [threading.Thread(target=write, daemon=True), threading.Thread(target=sample, daemon=True)]
    threads[0].start()
    time.sleep(10)
    phase[0] = "during"
    threads[1].start()
    seconds, rss, code, output = command(env, name)
    stop.set()
    for thread in threads:
        thread.join(10)
    if code != 0:
        raise RuntimeError(f"manage.py {name} exited {code}:\n{output}")
    startup, startup_rss, _, _ = command(env, name, "--help")
    scans, batches = re.search(r"Scans: (\d+), slowest ([\d.]+) ms", output), re.search(r"batches: (\d+), longest lock ([\d.]+) ms", output)  # fmt: skip
    left = writer.execute(DRIFTING_SQL if job == "counts" else USER_DAYS_DIFFERING_SQL).fetchone()[0]
    writer.close()
    figures.update(command_seconds=seconds, startup_seconds=startup, peak_rss_mib=rss, startup_peak_rss_mib=startup_rss,
                   scans=scans and scans.groups(), batches_longest_lock=batches and batches.groups(), left=left,
                   writer={p: timings(t) for p, t in times.items()}, locks_stronger_than_row_exclusive=sorted(locks),
                   loadavg_end=os.getloadavg())  # fmt: skip
    if "raw_seconds" in figures:
        figures["command : raw"] = seconds / figures["raw_seconds"]
        figures["command without start-up : raw"] = (seconds - startup) / figures["raw_seconds"]
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.ops", description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--per-user", type=int, default=10, help="follows (counts) or days (user_days, list) a user")
    args = parser.parse_args(argv)
    name, env = derived_name(f"ops_{args.job}"), app_env("")
    figures = {"job": args.job, "users": args.users, "per_user": args.per_user, "loadavg_start": os.getloadavg()}
    with migrated_database(name, env) as url:
        log("bench.ops", f"building {name}: {args.users:,} users, {args.per_user} each")
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            celebrity, built = build(args.job, conn, args.users, args.per_user)
        figures.update(built, build_seconds=time.perf_counter() - started)
        log("bench.ops", f"measuring {JOBS[args.job][0] or args.job}")
        print(json.dumps(measure(args.job, url, celebrity, figures), indent=2, default=str))  # updates figures
    return 0 if figures["left"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
