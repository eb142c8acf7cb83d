"""`python -m bench.wrk`: throughput with wrk, statements counted by PostgreSQL, the raw-SQL ceiling beside it.

    python -m bench.wrk [--rounds N] [--seconds S] [--compare LABEL=TREE ...] [--json PATH]

The method of docs/BENCHMARKS.md ("Throughput, statements and the raw-SQL ceiling"):
- a throw-away PostgreSQL 15 cluster on a spare port (initdb from PG_BIN, durable
  defaults, pg_stat_statements loaded), so every statement a request sends is counted by
  the server, the per-request health check included; dropped at the end;
- the code under test served by gunicorn with 2 sync workers (fixed), loaded by wrk
  (Debian's; `make bench` installs it) running the Lua scripts of bench/lua/, 8
  connections, one client each: the authenticated ceiling, follow+unfollow, the list of
  10 and of 1,000 (and, with one connection, each list's latency);
- pgbench with the scripts of bench/sql/ on the same server in the same rounds: the list
  as one LATERAL statement, follow+unfollow as the bare INSERT and DELETE (count trigger
  included);
- every figure is taken in rounds, the sides alternating, and reported as
  min / median / max over the rounds, with the machine's load average (1 minute) beside it.

`--compare LABEL=TREE` serves another checkout too (e.g. `git worktree add /tmp/old
COMMIT`), on a database of its own migrated by its own code, in the same rounds: before
and after side by side. Its data is built by the same SQL (bench/data.py), its tokens by
its own code.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg

from bench import data, env, http

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
LUA = env.REPO / "bench" / "lua"
SQL = env.REPO / "bench" / "sql"
WORKERS = 2
CLIENTS = 8
TARGETS = 50
LIST_SIZES = (10, 1000)
CHECKLISTS_PER_FRIEND = 30
COUNTED = 20  # requests of each kind whose statements are counted
ROUTINE_SIZE = 10  # the routine a new day's checklist is created with (checklist_created_routine)
ROUTINE_EXTRA_MAX = 1  # round trips a routine may add to creating a day (docs/BENCHMARKS.md)
PASSWORD = "bench-passphrase-42"  # the clients' (login.lua: no spaces)
MODES = {"quick": {"rounds": 3, "seconds": 4}, "full": {"rounds": 5, "seconds": 8}}

CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{dir}'
max_connections = 60
timezone = 'UTC'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_utility = on
pg_stat_statements.max = 5000
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
"""


def log(message):
    print(f"[bench.wrk {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def missing_tools():
    """None, or what to install: wrk (Debian's; `make bench` installs it) and PostgreSQL 15's server binaries."""
    if not shutil.which("wrk"):
        return "bench.wrk needs wrk: `make bench` installs it, or run  sudo apt-get install -y wrk"
    if not all((PG_BIN / tool).exists() for tool in ("initdb", "pg_ctl", "pgbench")):
        return f"bench.wrk needs initdb, pg_ctl and pgbench in {PG_BIN} (Debian's postgresql-15; PG_BIN=... elsewhere)"
    return None


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary directory; a context manager.

    Run as root, the server runs as `postgres` (PostgreSQL refuses root), like bin/cluster.
    """

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rr_bench_wrk_"))
        self.data = self.dir / "data"
        self.port = http.free_port()

    def _run(self, *args):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + [str(a) for a in args], check=True, capture_output=True, text=True)

    def __enter__(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(CONF.format(port=self.port, dir=self.dir))
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "start")
        with self.connect("postgres") as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        return self

    @property
    def log(self):
        return self.dir / "server.log"

    def round_trips(self, offset, except_pid):
        """Queries the server logged since `offset` (log_statement = all), other backends than `except_pid`."""
        with open(self.log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
        pids = re.findall(r"^\S+ \S+ \S+ \[(\d+)\] LOG:  (?:statement|execute [^:]*):", text, re.MULTILINE)
        return sum(1 for pid in pids if int(pid) != except_pid)

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database):
        return psycopg.connect(self.url(database), autocommit=True)

    def __exit__(self, *exc):
        try:
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Side:
    """One checkout under test: its database (migrated by its code), data, tokens and gunicorn."""

    def __init__(self, cluster, label, tree, days=CHECKLISTS_PER_FRIEND):
        self.cluster, self.label, self.tree = cluster, label, Path(tree).resolve()
        self.days = days
        self.database = f"rr_bench_{label}"
        self.url = cluster.url(self.database)
        self.extra_env = {"CACHE_KEY_PREFIX": f"rr_bench_{label}"}  # user ids repeat across sides
        self.env = {**os.environ, **env.app_settings_env(self.url), **self.extra_env}
        self.files = cluster.dir / label
        self.files.mkdir()

    def commit(self):
        done = subprocess.run(["git", "-C", self.tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        return done.stdout.strip() or "?"

    def build(self):
        with self.cluster.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        subprocess.run(
            [env.PYTHON, "manage.py", "migrate", "--noinput"],
            cwd=self.tree,
            env=self.env,
            check=True,
            capture_output=True,
        )
        with psycopg.connect(self.url) as conn, conn.cursor() as cursor:
            ids = data.app_fixture(
                cursor,
                list_sizes=list(LIST_SIZES),
                checklists_per_friend=self.days,
                history_sizes=[],
                load_clients=CLIENTS,
                targets_per_client=TARGETS,
            )
            cursor.execute("SELECT id, username FROM rr_user")
            names = dict(cursor.fetchall())
        self.clients = ids["clients"]
        self.targets = [ids["targets"][client] for client in self.clients]
        first = self.targets[0][0]
        expected = list(range(first, first + CLIENTS * TARGETS))
        if self.clients != list(range(self.clients[0], self.clients[0] + CLIENTS)) or sum(self.targets, []) != expected:
            raise RuntimeError(
                "the clients' or targets' ids are not consecutive (bench/sql/follow_unfollow.sql needs it)"
            )
        self.viewers = {size: ids["viewers"][size] for size in LIST_SIZES}
        tokens = self._tokens(self.clients + [self.viewers[size] for size in LIST_SIZES], passwords=self.clients)
        self.logins_file = self.files / "logins.txt"
        self.logins_file.write_text("".join(f"{names[client]} {PASSWORD}\n" for client in self.clients))
        client_tokens, viewer_tokens = tokens[:CLIENTS], tokens[CLIENTS:]
        self.client_tokens = client_tokens
        self.clients_file = self.files / "clients.txt"
        self.clients_file.write_text(
            "".join(
                " ".join([token, *(names[t] for t in targets)]) + "\n"
                for token, targets in zip(client_tokens, self.targets, strict=True)
            )
        )
        self.viewer_files = {}
        self.viewer_tokens = dict(zip(LIST_SIZES, viewer_tokens, strict=True))
        for size, token in self.viewer_tokens.items():
            self.viewer_files[size] = self.files / f"viewer_{size}.txt"
            self.viewer_files[size].write_text(f"{token}\n" * CLIENTS)
        self.target_names = [[names[t] for t in targets] for targets in self.targets]

    def _tokens(self, user_ids, *, passwords):
        # Minted by the tree's own code (bench/inproc.token_for), as its API would hand them
        # out; the `passwords` users' passwords set by its own default hasher.
        mint = (
            "import json, sys, django; django.setup(); from bench.inproc import token_for; "
            "from django.contrib.auth import get_user_model; "
            "ids, hashed = json.loads(sys.argv[1]), json.loads(sys.argv[2]); "
            "users = get_user_model().objects.filter(pk__in=hashed); "
            "[(u.set_password(sys.argv[3]), u.save(update_fields=['password'])) for u in users]; "
            "print(json.dumps([token_for(i) for i in ids]))"
        )
        done = subprocess.run(
            [env.PYTHON, "-c", mint, json.dumps(user_ids), json.dumps(passwords), PASSWORD],
            cwd=self.tree,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def unfollow_all(self):
        """Links a run stopped between follow and unfollow: removed (through the count trigger)."""
        time.sleep(0.5)  # the workers finish the requests wrk left in flight
        with psycopg.connect(self.url, autocommit=True) as conn:
            links = conn.execute("SELECT id FROM rr_network WHERE follower_id = ANY(%s) ORDER BY id", [self.clients])
            for (link,) in links.fetchall():  # one pair (one lock order) per transaction
                conn.execute("DELETE FROM rr_network WHERE id = %s", [link])


def statements(cluster, side, server):
    """Statements per request, counted by pg_stat_statements: {kind: (per request, [(calls, query)])}."""
    headers = [{"Authorization": f"Bearer {token}"} for token in side.client_tokens]
    viewer = {size: {"Authorization": f"Bearer {token}"} for size, token in side.viewer_tokens.items()}
    targets = side.target_names[0][:COUNTED]
    # Today's checklist of a client, at +08:00: created (201) once before counting, then found (200).
    today = {"local_datetime": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds")}
    kinds = {
        "ceiling": [("GET", "/api/network/settings/", headers[0], 200)] * COUNTED,
        "follow": [("POST", f"/api/network/follow/{t}/", headers[0], 201) for t in targets],
        "unfollow": [("DELETE", f"/api/network/unfollow/{t}/", headers[0], 200) for t in targets],
        **{
            f"list_{size}": [("GET", f"/api/network/list/following/?page_size={size}", viewer[size], 200)] * COUNTED
            for size in LIST_SIZES
        },
        "checklist_created": [("POST", "/api/checklists/", headers[1], 201, today)],
        "checklist_found": [("POST", "/api/checklists/", headers[1], 200, today)] * COUNTED,
        # Client 1 has an empty routine; client 2 a routine of ROUTINE_SIZE, made below.
        "checklist_created_routine": [("POST", "/api/checklists/", headers[2], 201, today)],
    }
    counted = {}
    with httpx.Client(base_url=server.url, timeout=60) as client, cluster.connect("postgres") as admin:
        for _ in range(10 * WORKERS):  # both workers connected and warm (their once-per-process reads done)
            client.get("/api/network/settings/", headers=headers[0])
        for number in range(ROUTINE_SIZE):
            made = client.post("/api/routine/", headers=headers[2], json={"description": f"routine {number}"})
            if made.status_code == 404:  # code from before the routine (--compare)
                del kinds["checklist_created_routine"]
                break
        # Round trips from the server's log: one line per query string (a string of several
        # statements is one), per Bind/Execute of the extended protocol.
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)
        for kind, sent in kinds.items():
            admin.execute("SELECT pg_stat_statements_reset()")
            log_start = cluster.log.stat().st_size
            for method, path, hdrs, expected, *body in sent:
                status = client.request(method, path, headers=hdrs, json=body[0] if body else None).status_code
                if status != expected:
                    raise RuntimeError(f"{side.label}: {method} {path} answered {status}, not {expected}")
            time.sleep(0.3)
            rows = admin.execute(
                "SELECT s.toplevel, s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = %s ORDER BY s.toplevel DESC, s.calls DESC, s.query",
                [side.database],
            ).fetchall()
            counted[kind] = per_request(
                [[top, calls / len(sent), " ".join(query.split())[:200]] for top, calls, query in rows]
            )
            counted[kind]["round_trips"] = cluster.round_trips(log_start, admin.info.backend_pid) / len(sent)
        admin.execute("ALTER SYSTEM RESET log_statement")
        admin.execute("SELECT pg_reload_conf()")
    side.unfollow_all()
    return counted


def server_side(toplevel, query):
    """A statement the server runs for the app's: the count trigger's (nested), or a foreign-key check.

    rr_network's foreign keys are deferred: their checks run at COMMIT, outside any
    statement, so pg_stat_statements records them as top-level; they are known by the
    query PostgreSQL's referential-integrity triggers write.
    """
    return not toplevel or (" FROM ONLY " in query and query.endswith("FOR KEY SHARE OF x"))


def per_request(statements):
    """Counts a request from [[toplevel, calls a request, query]]: what the app sends, what the server adds."""
    return {
        # Sent by the application: BEGIN, COMMIT and the health check's SELECT 1 included ...
        "per_request": sum(calls for top, calls, query in statements if not server_side(top, query)),
        # ... and run by the server for them: trigger functions' statements, foreign-key checks.
        "nested_per_request": sum(calls for top, calls, query in statements if server_side(top, query)),
        "statements": statements,
    }


def run_wrk(script, url, connections, seconds, *args):
    """One wrk run: the figures of bench/lua/common.lua's done() plus ops/s and the load average."""
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(LUA / script), url, "--", *map(str, args)],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RR_WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk {script} failed:\n{done.stdout}{done.stderr}")
    figures = json.loads(line.removeprefix("RR_WRK "))
    good = figures["requests"] - figures["unexpected"]
    figures["ops_per_s"] = good / (figures["duration_us"] / 1e6)
    figures["median_ms"] = figures["p50_us"] / 1000
    figures["loadavg"] = [load_before, os.getloadavg()[0]]
    return figures


def run_pgbench(url, script, clients, seconds, workdir, **defines):
    """One pgbench run (simple protocol, like Django's client-side binding): tps, median ms, load average."""
    load_before = os.getloadavg()[0]
    logs = Path(tempfile.mkdtemp(dir=workdir))
    done = subprocess.run(
        [PG_BIN / "pgbench", "-n", "-M", "simple", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-l",
         *(f"-D{name}={value}" for name, value in defines.items()), "-f", str(SQL / script), url],
        capture_output=True, text=True, timeout=seconds + 60, cwd=logs,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pgbench {script} failed:\n{done.stdout}{done.stderr}")
    latencies = [int(line.split()[2]) for path in logs.iterdir() for line in path.read_text().splitlines()]
    shutil.rmtree(logs)
    tps = float(next(ln for ln in done.stdout.splitlines() if ln.startswith("tps")).split("=")[1].split()[0])
    return {
        "tps": tps,
        "transactions": len(latencies),
        "median_ms": statistics.median(latencies) / 1000,
        "loadavg": [load_before, os.getloadavg()[0]],
    }


def worker_rss_kib(server):
    return max(http.memory_kib(pid).get("VmRSS", 0) for pid in server.worker_pids())


def one_round(sides, servers, cluster, seconds):
    """Every scenario once, the sides alternating scenario by scenario, then the raw-SQL ceiling.

    Returns {side label or 'raw': {scenario: figures}}.
    """
    out = {side.label: {} for side in sides}
    scenarios = [
        ("ceiling", "ceiling.lua", CLIENTS, lambda side: [side.clients_file]),
        ("follow", "follow.lua", CLIENTS, lambda side: [side.clients_file]),
        ("login", "login.lua", CLIENTS, lambda side: [side.logins_file]),
        *((f"list_{n}", "list.lua", CLIENTS, lambda side, n=n: [side.viewer_files[n], n]) for n in LIST_SIZES),
        *((f"list_{n}_alone", "list.lua", 1, lambda side, n=n: [side.viewer_files[n], n]) for n in LIST_SIZES),
    ]
    for name, script, connections, args in scenarios:
        for side in sides:
            out[side.label][name] = run_wrk(script, servers[side.label].url, connections, seconds, *args(side))
            if name == "follow":
                side.unfollow_all()
            if name == f"list_{max(LIST_SIZES)}":
                out[side.label]["rss_after_lists_kib"] = worker_rss_kib(servers[side.label])
    first = sides[0]
    raw = {}
    for size in LIST_SIZES:
        raw[f"list_{size}_alone"] = run_pgbench(
            first.url, "list.sql", 1, seconds, cluster.dir, viewer=first.viewers[size], size=size
        )
    # A follow still in flight when wrk stopped may have committed after the scenario's
    # clean-up: the pairs must be free again, or pgbench's INSERT fails on the unique pair.
    first.unfollow_all()
    raw["follow"] = run_pgbench(
        first.url,
        "follow_unfollow.sql",
        CLIENTS,
        seconds,
        cluster.dir,
        first_client=first.clients[0],
        first_target=first.targets[0][0],
        targets=TARGETS,
    )
    raw["follow"]["ops_per_s"] = 2 * raw["follow"]["tps"]  # an INSERT and a DELETE: two ops, as follow + unfollow
    first.unfollow_all()
    out["raw"] = raw
    # Per side whose schema has the summary of days: the list's raw statement reading it too.
    out["raw_summary"] = {}
    for side in sides:
        with psycopg.connect(side.url) as conn:
            (has_summary,) = conn.execute("SELECT to_regclass('rr_user_days') IS NOT NULL").fetchone()
        if has_summary:
            out["raw_summary"][side.label] = {
                f"list_{size}_alone": run_pgbench(
                    side.url, "list_summary.sql", 1, seconds, cluster.dir, viewer=side.viewers[size], size=size
                )
                for size in LIST_SIZES
            }
    return out


def run(*, rounds, seconds, trees, statements_only=False):
    """The whole measurement; `trees` is [(label, path)], the first one the code under test.

    `statements_only`: the statements and round trips a request (no wrk, no pgbench, no rounds).
    """
    missing = None if statements_only else missing_tools()
    if missing:
        raise SystemExit(missing)
    results = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_start": os.getloadavg(),
        "rounds_wanted": rounds,
        "seconds": seconds,
        "workers": WORKERS,
        "clients": CLIENTS,
    }
    started = time.perf_counter()
    with Cluster() as cluster:
        with cluster.connect("postgres") as conn:
            (results["postgresql"],) = conn.execute("SHOW server_version").fetchone()
        sides = []
        for label, tree in trees:
            # TREE@DAYS: the friends of the lists have DAYS days of history each (default 30).
            tree, _, days = tree.partition("@")
            log(f"{label}: migrating and loading a database of its own ({tree}, {days or CHECKLISTS_PER_FRIEND} days)")
            side = Side(cluster, label, tree, int(days or CHECKLISTS_PER_FRIEND))
            side.build()
            sides.append(side)
        with contextlib.ExitStack() as stack:
            servers = {
                side.label: stack.enter_context(
                    http.Server(
                        side.url,
                        workers=WORKERS,
                        log_name=f"gunicorn_wrk_{side.label}",
                        tree=side.tree,
                        extra_env=side.extra_env,
                    )
                )
                for side in sides
            }
            per_side = {}
            for side in sides:
                server = servers[side.label]
                log(f"{side.label}: statements per request, counted by pg_stat_statements")
                per_side[side.label] = {
                    "commit": side.commit(),
                    "tree": str(side.tree),
                    "statements": statements(cluster, side, server),
                    "rss_start_kib": worker_rss_kib(server),
                }
            round_figures = []
            for number in range(1, 0 if statements_only else rounds + 1):
                log(f"round {number}/{rounds}: {', '.join(s.label for s in sides)}, then pgbench, {seconds} s each")
                round_figures.append(one_round(sides, servers, cluster, seconds))
    results["sides"] = per_side
    results["rounds"] = round_figures
    results["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = time.perf_counter() - started
    return results


# The report: min / median / max over rounds, load average (1 min) over the same runs.


def _spread(values, fmt):
    values = sorted(values)
    return f"{fmt.format(values[0])} / {fmt.format(statistics.median(values))} / {fmt.format(values[-1])}"


def _load(runs):
    loads = [value for run in runs for value in run["loadavg"]]
    return f"{min(loads):.1f}-{max(loads):.1f}"


def figures_of(results, label):
    """[(figure, values over rounds, format, load average, runs)] for one side, ratios included."""
    rounds = results["rounds"]
    side = [r[label] for r in rounds]
    raw = [r["raw"] for r in rounds]
    out = []

    def add(name, values, fmt, runs):
        out.append((name, values, fmt, _load(runs)))

    add("ceiling: GET settings/, req/s (8 connections)", [s["ceiling"]["ops_per_s"] for s in side], "{:.0f}",
        [s["ceiling"] for s in side])  # fmt: skip
    add("follow+unfollow, ops/s (8 connections)", [s["follow"]["ops_per_s"] for s in side], "{:.0f}",
        [s["follow"] for s in side])  # fmt: skip
    add("follow+unfollow : ceiling", [s["follow"]["ops_per_s"] / s["ceiling"]["ops_per_s"] for s in side], "{:.0%}",
        [s["follow"] for s in side] + [s["ceiling"] for s in side])  # fmt: skip
    add("follow+unfollow : raw SQL (pgbench, 8 clients)",
        [s["follow"]["ops_per_s"] / r["follow"]["ops_per_s"] for s, r in zip(side, raw, strict=True)], "{:.0%}",
        [s["follow"] for s in side] + [r["follow"] for r in raw])  # fmt: skip
    add("sign-in: POST /auth/user/, req/s (8 connections)", [s["login"]["ops_per_s"] for s in side], "{:.1f}",
        [s["login"] for s in side])  # fmt: skip
    for size in LIST_SIZES:
        add(f"list of {size:,}: lists/s (8 connections)", [s[f"list_{size}"]["ops_per_s"] for s in side], "{:.0f}",
            [s[f"list_{size}"] for s in side])  # fmt: skip
    for size in LIST_SIZES:
        key = f"list_{size}_alone"
        add(f"list of {size:,}: median ms (1 connection)", [s[key]["median_ms"] for s in side], "{:.1f}",
            [s[key] for s in side])  # fmt: skip
        add(f"list of {size:,} : raw statement (median ms)",
            [s[key]["median_ms"] / r[key]["median_ms"] for s, r in zip(side, raw, strict=True)], "{:.1f}x",
            [s[key] for s in side] + [r[key] for r in raw])  # fmt: skip
    return out


def raw_figures(results):
    raw = [r["raw"] for r in results["rounds"]]
    out = [("follow+unfollow, ops/s (8 clients)", [r["follow"]["ops_per_s"] for r in raw], "{:.0f}",
            _load([r["follow"] for r in raw]))]  # fmt: skip
    for size in LIST_SIZES:
        key = f"list_{size}_alone"
        out.append((f"list of {size:,}: median ms (1 client)", [r[key]["median_ms"] for r in raw], "{:.2f}",
                    _load([r[key] for r in raw])))  # fmt: skip
    return out


def _per_request(value):
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.2f}"


CHECKLIST_KINDS = ("checklist_created", "checklist_found")


def routine_extra(counts):
    """Round trips a routine of ROUTINE_SIZE adds to creating a day's checklist."""
    return counts["checklist_created_routine"]["round_trips"] - counts["checklist_created"]["round_trips"]


def routine_cell(counts):
    if "checklist_created_routine" not in counts:
        return "-"
    kinds = ("checklist_created", "checklist_created_routine")
    trips = " / ".join(_per_request(counts[kind].get("round_trips", 0)) for kind in kinds)
    sent = " / ".join(_per_request(counts[kind]["per_request"]) for kind in kinds)
    return f"{trips} ({sent})"


SIDE_BY_SIDE = [
    ("ceiling req/s", "ceiling", "ops_per_s"),
    ("follow+unfollow ops/s", "follow", "ops_per_s"),
    ("sign-in req/s", "login", "ops_per_s"),
    ("list of 10, median ms (1 connection)", "list_10_alone", "median_ms"),
    ("list of 1,000, median ms (1 connection)", "list_1000_alone", "median_ms"),
    ("list of 1,000, lists/s (8 connections)", "list_1000", "ops_per_s"),
]


def table(results):
    """Markdown: one column per side (min / median / max over rounds, load average), raw SQL below."""
    labels = list(results["sides"])
    head = (
        f"bench.wrk, {results['started']}, {len(results['rounds'])} rounds of {results['seconds']} s, "
        f"gunicorn {results['workers']} sync workers, wrk {results['clients']} connections; PostgreSQL "
        f"{results['postgresql']} (throw-away cluster, pg_stat_statements); load average "
        f"{results['loadavg_start'][0]:.2f} at start, {results['loadavg_end'][0]:.2f} at end; "
        f"{results['elapsed_s']:.0f} s"
    )
    lines = [head, ""]
    sides = {label: figures_of(results, label) for label in labels}
    lines.append(
        "| figure | "
        + " | ".join(f"{label} ({results['sides'][label]['commit']})" for label in labels)
        + " | load avg |"
    )
    lines.append("|---|" + "---|" * len(labels) + "---|")
    for index, (name, _, _, _) in enumerate(sides[labels[0]]):
        cells = [_spread(sides[label][index][1], sides[label][index][2]) for label in labels]
        loads = sorted({sides[label][index][3] for label in labels})
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {', '.join(loads)} |")
    kinds = ("ceiling", "follow", "unfollow", *(f"list_{size}" for size in LIST_SIZES))
    for key, what in (
        ("per_request", "sent by the app"),
        ("round_trips", "round trips to PostgreSQL (query strings)"),
        ("nested_per_request", "run by the server (trigger, FKs)"),
    ):
        cells = [
            " / ".join(_per_request(results["sides"][label]["statements"][kind].get(key, 0)) for kind in kinds)
            for label in labels
        ]
        lines.append(f"| statements a request, {what}: ceiling / follow / unfollow / list 10 / list 1,000 | "
                     + " | ".join(cells) + " | |")  # fmt: skip
    cells = [
        " / ".join(_per_request(results["sides"][label]["statements"][kind]["per_request"]) for kind in CHECKLIST_KINDS)
        if CHECKLIST_KINDS[0] in results["sides"][label]["statements"]
        else "-"
        for label in labels
    ]
    lines.append(
        "| statements sent, POST /api/checklists/: created (201) / found (200) | " + " | ".join(cells) + " | |"
    )
    cells = [routine_cell(results["sides"][label]["statements"]) for label in labels]
    lines.append(
        f"| round trips (statements sent), POST /api/checklists/ created: empty routine / routine of {ROUTINE_SIZE} | "
        + " | ".join(cells)
        + " | |"
    )
    rss = []
    for label in labels:
        start = results["sides"][label]["rss_start_kib"]
        after = max(r[label]["rss_after_lists_kib"] for r in results["rounds"])
        rss.append(f"{start / 1024:.0f} / {after / 1024:.0f} MiB ({after / start:.2f}x)")
    lines.append("| worker RSS: start / after the list loads (largest worker) | " + " | ".join(rss) + " | |")
    errors = []
    for label in labels:
        runs = [run for r in results["rounds"] for key, run in r[label].items() if isinstance(run, dict)]
        errors.append(
            f"{sum(run['unexpected'] for run in runs)} / {sum(run['socket_errors'] + run['timeouts'] for run in runs)}"
        )
    lines.append("| unexpected answers / socket errors | " + " | ".join(errors) + " | |")
    if len(labels) > 1:
        lines += ["", f"{labels[0]} against each other side, round by round (min / median / max):", ""]
        lines += ["| figure | " + " | ".join(f"{labels[0]} : {label}" for label in labels[1:]) + " |"]
        lines += ["|---|" + "---|" * (len(labels) - 1)]
        for name, key, field in SIDE_BY_SIDE:
            cells = [
                _spread([r[labels[0]][key][field] / r[label][key][field] for r in results["rounds"]], "{:.2f}x")
                for label in labels[1:]
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Raw SQL on the same server (pgbench, bench/sql/, database of " + labels[0] + "):", ""]
    lines += ["| figure | min / median / max | load avg |", "|---|---|---|"]
    for name, values, fmt, load in raw_figures(results):
        lines.append(f"| {name} | {_spread(values, fmt)} | {load} |")
    return "\n".join(lines)


# Targets of docs/BENCHMARKS.md (issue 13's), each a ratio taken in one run.
LIST_RAW_RATIO_MAX = 3.0
FOLLOW_SHARE_MIN = 0.70
RSS_GROWTH_MAX = 1.3


def rows(results, label=None):
    """[(bench, figure, value, target, verdict)] of one side, for `python -m bench`'s table."""
    label = label or next(iter(results["sides"]))
    side = results["sides"][label]
    out = []
    for name, values, fmt, load in figures_of(results, label):
        target, verdict = "", ""
        median = statistics.median(values)
        if name == "follow+unfollow : ceiling":
            target, verdict = f">= {FOLLOW_SHARE_MIN:.0%}", "met" if median >= FOLLOW_SHARE_MIN else "MISSED"
        elif name == f"list of {max(LIST_SIZES):,} : raw statement (median ms)":
            target = f"<= {LIST_RAW_RATIO_MAX:g}x"
            verdict = "met" if median <= LIST_RAW_RATIO_MAX else "MISSED"
        out.append(("7 wrk", f"{name}, min / median / max", f"{_spread(values, fmt)} (load {load})", target, verdict))
    kinds = ("ceiling", "follow", "unfollow", *(f"list_{size}" for size in LIST_SIZES))
    counts = side["statements"]
    out.append(("7 wrk", "statements sent a request (pg_stat_statements): ceiling / follow / unfollow / list 10 / 1,000",
                " / ".join(_per_request(counts[kind]["per_request"]) for kind in kinds)
                + " (+ " + " / ".join(_per_request(counts[kind]["nested_per_request"]) for kind in kinds)
                + " run by the count trigger and foreign-key checks)", "", ""))  # fmt: skip
    if "round_trips" in counts["ceiling"]:
        out.append(("7 wrk", "round trips to PostgreSQL a request (its log): ceiling / follow / unfollow / list 10 / 1,000",
                    " / ".join(_per_request(counts[kind]["round_trips"]) for kind in kinds), "", ""))  # fmt: skip
    if CHECKLIST_KINDS[0] in counts:
        out.append(("7 wrk", "statements sent, POST /api/checklists/: created (201) / found (200)",
                    " / ".join(_per_request(counts[kind]["per_request"]) for kind in CHECKLIST_KINDS), "", ""))  # fmt: skip
    if "checklist_created_routine" in counts:
        extra = routine_extra(counts)
        out.append(("7 wrk", f"round trips (statements sent), POST /api/checklists/ created: empty routine / routine of"
                    f" {ROUTINE_SIZE}", routine_cell(counts), f"<= +{ROUTINE_EXTRA_MAX} round trip",
                    "met" if extra <= ROUTINE_EXTRA_MAX else "MISSED"))  # fmt: skip
    start = side["rss_start_kib"]
    after = max(r[label]["rss_after_lists_kib"] for r in results["rounds"])
    out.append(("7 wrk", "worker RSS after the list loads : start", f"{after / start:.2f}x ({after / 1024:.0f} MiB)",
                f"<= {RSS_GROWTH_MAX:g}x", "met" if after / start <= RSS_GROWTH_MAX else "MISSED"))  # fmt: skip
    for name, values, fmt, load in raw_figures(results):
        out.append(("7 raw SQL", f"{name}, min / median / max", f"{_spread(values, fmt)} (load {load})", "", ""))
    bad = failures(results)
    out.append(("7 wrk", "unexpected answers, socket errors", str(len(bad)), "0", "met" if not bad else "MISSED"))
    return out


def failures(results):
    """Unexpected answers or socket errors anywhere: the run does not count."""
    bad = []
    for number, r in enumerate(results["rounds"], start=1):
        for label in results["sides"]:
            for key, run in r[label].items():
                if isinstance(run, dict) and (run["unexpected"] or run["socket_errors"] or run["timeouts"]):
                    bad.append(f"round {number} {label} {key}: {run['unexpected']} unexpected "
                               f"({run['first_unexpected']}), {run['socket_errors']} socket errors, "
                               f"{run['timeouts']} timeouts")  # fmt: skip
    return bad


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.wrk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="quick")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--label", default="this", help="the name of this checkout's column")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=TREE[@DAYS]",
        help="another side: a checkout (this one again, or another), DAYS of history per friend (default 30)",
    )
    parser.add_argument("--days", type=int, default=CHECKLISTS_PER_FRIEND, help="this checkout's days per friend")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--report", type=Path, metavar="JSON", help="print the table of a saved run, measure nothing")
    parser.add_argument(
        "--statements-only",
        action="store_true",
        help="count each request's statements and round trips only (no load; wrk not needed)",
    )
    args = parser.parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text())
        for side in saved["sides"].values():
            side["statements"] = {kind: {**c, **per_request(c["statements"])} for kind, c in side["statements"].items()}
        print(table(saved))
        return 0
    trees = [(args.label, f"{env.REPO}@{args.days}")] + [tuple(item.split("=", 1)) for item in args.compare]
    env.RESULTS.mkdir(parents=True, exist_ok=True)
    results = run(
        rounds=args.rounds or MODES[args.mode]["rounds"],
        seconds=args.seconds or MODES[args.mode]["seconds"],
        trees=trees,
        statements_only=args.statements_only,
    )
    if args.statements_only:
        print(json.dumps({label: side["statements"] for label, side in results["sides"].items()}, indent=2))
        for label, side in results["sides"].items():
            counts = side["statements"]
            print(f"{label}: POST /api/checklists/ created, round trips (statements sent): empty routine / "
                  f"routine of {ROUTINE_SIZE}: {routine_cell(counts)}")  # fmt: skip
        return 0
    text = table(results)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = args.json or env.RESULTS / f"wrk-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    (path.with_suffix(".md")).write_text(text + "\n")
    print(text)
    bad = failures(results)
    for line in bad:
        print(f"FAILED: {line}", file=sys.stderr)
    log(f"raw figures in {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
