"""Benchmark 4: `initialize_network_counts` at scale, against one raw SQL statement.

For each size a scratch database gets the full schema, `users` users and the follow
graph of `bench.data.graph_insert` (loaded with rr_network's indexes and foreign keys
dropped and rebuilt afterwards, as a bulk load is done), true counts, then drift.

1. The raw statement: a single UPDATE ... FROM (two GROUP BY aggregates over
   rr_network) that repairs every drifted user, timed on one connection.
2. The same drift again, then `manage.py initialize_network_counts` in a subprocess
   (under bench.rss): wall time, peak RSS, its lock-free scans (count, slowest) and
   the longest lock it reports (a repair batch is one transaction: from its FOR NO KEY
   UPDATE to COMMIT, so the longest any batch held its users' row locks). Its start-up
   alone (`--help`: Python and Django, no database work) is timed too, to tell the
   fixed cost from the per-user cost.
Then a check that no drift is left.

The command runs as a deployment runs it: with its compiled bytecode cached (in
bench/results/pycache, through PYTHONPYCACHEPREFIX, warmed by an untimed `--dry-run`).
Without that, a shell with PYTHONDONTWRITEBYTECODE set and .pyc files older than their
sources (as a copied virtualenv has) recompiles every module at every start, about
0.9 s here; that start-up is timed too, for comparison with earlier runs.
"""

import json
import os
import re
import subprocess
import time

from bench import data
from bench.env import PYTHON, REPO, RESULTS, app_settings_env
from tests.support import pg

# Every user with the true counts from rr_network: two GROUP BY aggregates, hash- or merge-joined.
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

_SCANS = re.compile(r"Scans: (\d+), slowest ([\d.]+) ms")
_LOCKS = re.compile(r"Repair batches: (\d+), longest lock ([\d.]+) ms")


def _network_bulk_load(conn, insert):
    """Run `insert(cursor)` into rr_network with its indexes, keys and triggers off, then rebuild them.

    The definitions are read from the catalog and recreated verbatim, so the schema
    afterwards is the migration's. Returns what `insert` returned.
    """
    constraints = conn.execute(
        """
        SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
        WHERE conrelid = 'rr_network'::regclass AND contype IN ('p', 'u', 'f')
        ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, conname
        """
    ).fetchall()
    indexes = conn.execute(
        """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
        WHERE indrelid = 'rr_network'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)
        """
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
    for name, definition, kind in constraints:
        if kind != "f":
            conn.execute(f'ALTER TABLE rr_network ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)
    for name, definition, kind in constraints:
        if kind == "f":
            conn.execute(f'ALTER TABLE rr_network ADD CONSTRAINT "{name}" {definition}')
    return inserted


def build(suffix, *, users, follows_per_user, log):
    """A scratch database with `users` users, their follow graph, true counts; returns its name."""
    name = pg.scratch_name(suffix)
    log(f"  building {name}: {users:,} users, {follows_per_user} follows each + a celebrity")
    pg.create_database(name)
    pg.manage(name, "migrate", "--noinput", env=app_settings_env(pg.database_url(name)))
    with pg.connect(name) as conn:
        with conn.cursor() as cursor:
            base, last = data.users_insert_range(cursor, "u", users)
        if last - base + 1 != users:
            raise RuntimeError("user ids are not contiguous; the graph formula needs them to be")
        follows = _network_bulk_load(
            conn, lambda cursor: data.graph_insert(cursor, base=base, n=users, per_user=follows_per_user)
        )
        conn.execute(RAW_REPAIR_SQL)  # true counts to start from
        conn.execute("VACUUM (ANALYZE) rr_user")
        conn.execute("VACUUM (ANALYZE) rr_network")
    return name, base, follows


def _drift(name, celebrity):
    with pg.connect(name) as conn:
        with conn.cursor() as cursor:
            data.drift_introduce(cursor, celebrity=celebrity)
        (drifting,) = conn.execute(DRIFTING_SQL).fetchone()
        conn.execute("VACUUM (ANALYZE) rr_user")
    return drifting


def _raw_repair(name):
    with pg.connect(name) as conn:
        started = time.perf_counter()
        repaired = conn.execute(RAW_REPAIR_SQL).rowcount
        return time.perf_counter() - started, repaired


def _command(name, log_name, *args, bytecode_cache=True):
    """Run `manage.py initialize_network_counts *args` under bench.rss; its figures and stdout."""
    env = {**os.environ, **app_settings_env(pg.database_url(name))}
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(RESULTS / "pycache")
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures_path = RESULTS / f"{log_name}.rss.json"
    with open(RESULTS / f"{log_name}.log", "w") as stderr, open(RESULTS / f"{log_name}.out", "w+") as stdout:
        subprocess.run(
            [PYTHON, "-m", "bench.rss", str(figures_path), PYTHON, "manage.py", "initialize_network_counts", *args],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        stdout.seek(0)
        output = stdout.read()
    return json.loads(figures_path.read_text()), output


def run(*, users, follows_per_user, log):
    """One size: build, raw statement, command; a dict of figures."""
    suffix = f"counts_{users // 1000}k"
    name, base, follows = build(suffix, users=users, follows_per_user=follows_per_user, log=log)
    try:
        with pg.connect(name) as conn:
            conn.execute(DRIFTING_SQL)  # warm the caches alike for both contenders
        drifting = _drift(name, base)
        log(f"  raw SQL repair of {drifting:,} drifted users")
        raw_seconds, raw_repaired = _raw_repair(name)
        _drift(name, base)
        log("  initialize_network_counts")
        # Untimed: fills the bytecode cache with every module a run imports; reads only.
        _command(name, f"initialize_network_counts_{suffix}_warm", "--dry-run")
        figures, output = _command(name, f"initialize_network_counts_{suffix}")
        if figures["exit_code"] != 0:
            raise RuntimeError(f"initialize_network_counts exited {figures['exit_code']}:\n{output[-2000:]}")
        # The fixed part of that wall time: Python and Django start-up, no database work.
        startup, _ = _command(name, f"initialize_network_counts_{suffix}_help", "--help")
        uncached, _ = _command(name, f"initialize_network_counts_{suffix}_uncached", "--help", bytecode_cache=False)
        scans, locks = _SCANS.search(output), _LOCKS.search(output)
        with pg.connect(name) as conn:
            (left,) = conn.execute(DRIFTING_SQL).fetchone()
    finally:
        pg.drop_database(name)
    return {
        "users": users,
        "follows": follows,
        "drifting": drifting,
        "raw_seconds": raw_seconds,
        "raw_repaired": raw_repaired,
        "command_seconds": figures["seconds"],
        "startup_seconds": startup["seconds"],
        "startup_uncached_seconds": uncached["seconds"],
        "ratio": figures["seconds"] / raw_seconds,
        "ratio_without_startup": (figures["seconds"] - startup["seconds"]) / raw_seconds,
        "peak_rss_mib": figures["peak_rss_kib"] / 1024,
        "startup_peak_rss_mib": startup["peak_rss_kib"] / 1024,
        "scans": int(scans.group(1)) if scans else None,
        "slowest_scan_ms": float(scans.group(2)) if scans else None,
        "batches": int(locks.group(1)) if locks else None,
        "slowest_batch_ms": float(locks.group(2)) if locks else None,
        "drift_left": left,
    }
