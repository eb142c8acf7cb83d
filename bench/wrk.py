"""`python -m bench.wrk`: throughput with wrk, statements counted by PostgreSQL, the raw-SQL ceiling beside it.

    python -m bench.wrk [--mode quick|full] [--rounds N] [--seconds S] [--days D]
                        [--compare LABEL=TREE[@DAYS] ...] [--json PATH]

On a throw-away PostgreSQL 15 with pg_stat_statements, each checkout (this one; a `--compare`d
worktree, or `.` again with DAYS of history a friend) served by gunicorn with 2 sync workers,
loaded by wrk (bench/lua/), pgbench (bench/sql/) in the same rounds. docs/BENCHMARKS.md.
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
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg

from bench import data
from bench.load.server import REPO, Gunicorn, app_env, free_port, log

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
LUA, SQL, RESULTS = REPO / "bench" / "lua", REPO / "bench" / "sql", REPO / "bench" / "results"
WORKERS, CLIENTS, TARGETS = 2, 8, 50
LIST_SIZES = (10, 1000)
DAYS = 30  # days of history of each friend on the lists
HISTORY_DAYS = 1000  # days of the user whose GET /api/checklists/ is measured (three regrets a day)
COUNTED = 20  # requests of each kind whose statements are counted
ROUTINE_SIZE = 10  # the routine a new day's checklist is created with (checklist_created_routine)
PLUS_8 = timezone(timedelta(hours=8))  # where the clients' days are
PASSWORD = "bench-passphrase-42"  # every measured user's (no spaces: a line of a client file)
MODES = {"quick": {"rounds": 3, "seconds": 4}, "full": {"rounds": 5, "seconds": 8}}
CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{dir}'
timezone = 'UTC'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
log_line_prefix = '%m [%p] '
"""
# app_env's with INFO request logs, and each worker's connection kept: the same backends throughout.
SERVER_ENV = {"LOG_LEVEL": "INFO", "DB_CONN_MAX_AGE": "900", "JWT_ACCESS_MINUTES": "240"}
SET_PASSWORDS = (  # run by the tree's own code, so its own default hasher
    "import sys, django; django.setup(); from django.contrib.auth import get_user_model; "
    "users = get_user_model().objects.filter(pk__in=[int(i) for i in sys.argv[1].split(',')]); "
    "[(u.set_password(sys.argv[2]), u.save(update_fields=['password'])) for u in users]"
)


def cpu_seconds(pids):
    """utime + stime of these processes (0 for those gone)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid):
    with contextlib.suppress(OSError):
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def rss_kib(server):
    """The largest worker's resident memory."""
    status = [Path(f"/proc/{pid}/status").read_text() for pid in server.worker_pids()]
    return max(int(line.split()[1]) for text in status for line in text.splitlines() if line.startswith("VmRSS:"))


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary directory (as root, run as `postgres`, like bin/cluster)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rr_bench_wrk_"))
        self.data, self.log, self.port = self.dir / "data", self.dir / "server.log", free_port()

    def _run(self, *args):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + [str(a) for a in args], check=True, capture_output=True, text=True)

    def __enter__(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(CONF.format(port=self.port, dir=self.dir))
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "start")
        with self.connect("postgres") as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        return self

    def pids(self):
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *children(postmaster)]

    def round_trips(self, offset, except_pid):
        """Query strings the server logged since `offset` (log_statement = all), but `except_pid`'s."""
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
    """One checkout under test: its database (migrated by its code), data, gunicorn and clients' files."""

    def __init__(self, cluster, label, tree, days):
        self.cluster, self.label, self.tree, self.days = cluster, label, Path(tree).resolve(), days
        self.database = f"rr_bench_{label}"
        self.url = cluster.url(self.database)
        # User ids repeat across sides: a cache prefix of its own.
        self.env = {**os.environ, **app_env(self.url, CACHE_KEY_PREFIX=f"rr_bench_{label}", **SERVER_ENV)}
        self.files = cluster.dir / label
        self.files.mkdir()

    def build(self):
        with self.cluster.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=self.tree, env=self.env,
                       check=True, capture_output=True)  # fmt: skip
        with psycopg.connect(self.url) as conn, conn.cursor() as cursor:
            ids = data.app_fixture(cursor, list_sizes=list(LIST_SIZES), checklists_per_friend=self.days,
                                   history_sizes=[HISTORY_DAYS], load_clients=CLIENTS, targets_per_client=TARGETS)  # fmt: skip
            self.names = dict(cursor.execute("SELECT id, username FROM rr_user").fetchall())
        self.clients, self.hot, self.history = ids["clients"], ids["hot"], ids["history"][HISTORY_DAYS]
        self.targets = [ids["targets"][client] for client in self.clients]
        self.viewers = {size: ids["viewers"][size] for size in LIST_SIZES}
        # bench/sql/follow_unfollow.sql counts on consecutive ids: a fresh database's sequence gives them.
        users = [*self.clients, *self.viewers.values(), self.history]
        subprocess.run([sys.executable, "-c", SET_PASSWORDS, ",".join(map(str, users)), PASSWORD], cwd=self.tree,
                       env=self.env, check=True, capture_output=True)  # fmt: skip

    def sign_in(self, server):
        """Every measured user's token, from the server's own sign-in; the data files of bench/lua/."""
        with httpx.Client(base_url=server.url, timeout=120) as client:

            def token(user_id):
                response = client.post("/auth/user/", json={"username": self.names[user_id], "password": PASSWORD})
                response.raise_for_status()
                return response.json()["tokens"]["access"]

            self.tokens = [token(user) for user in self.clients]
            self.viewer_tokens = {size: token(user) for size, user in self.viewers.items()}
            self.history_token = token(self.history)
            today = {"local_datetime": datetime.now(PLUS_8).isoformat(timespec="seconds")}
            headers = {"Authorization": f"Bearer {self.history_token}"}
            client.post("/api/checklists/", json=today, headers=headers).raise_for_status()  # found in the rounds
        self.file = {}

        def write(name, lines):
            self.file[name] = self.files / f"{name}.txt"
            self.file[name].write_text("".join(line + "\n" for line in lines))

        write("clients", [" ".join([t, *(self.names[u] for u in us)]) for t, us in zip(self.tokens, self.targets)])
        write("hot", [f"{t} {self.names[self.hot]}" for t in self.tokens])
        body = {client: json.dumps({"username": self.names[client], "password": PASSWORD}, separators=(",", ":"))
                for client in self.clients}  # fmt: skip
        write("logins", [f"- {body[client]}" for client in self.clients])
        write("history", [self.history_token] * CLIENTS)
        write("client_1", [self.tokens[1]] * CLIENTS)
        for size, token_ in self.viewer_tokens.items():
            write(f"viewer_{size}", [token_] * CLIENTS)

    def unfollow_all(self):
        """Links a run stopped between follow and unfollow: removed (through the count trigger)."""
        time.sleep(0.5)  # the workers finish the requests wrk left in flight
        with psycopg.connect(self.url, autocommit=True) as conn:
            links = conn.execute("SELECT id FROM rr_network WHERE follower_id = ANY(%s) ORDER BY id", [self.clients])
            for (link,) in links.fetchall():  # one pair (one lock order) per transaction
                conn.execute("DELETE FROM rr_network WHERE id = %s", [link])


def checklist_paths():
    since = (date.today() - timedelta(days=29)).isoformat()
    return {"whole": "/api/checklists/", "limit_30": "/api/checklists/?limit=30", "since_29": f"/api/checklists/?since={since}"}  # fmt: skip


def statements(cluster, side, server):
    """Statements and round trips per request: {kind: {per_request, nested_per_request, round_trips, bytes, statements}}."""
    auth = [{"Authorization": f"Bearer {token}"} for token in side.tokens]
    viewer = {size: {"Authorization": f"Bearer {token}"} for size, token in side.viewer_tokens.items()}
    history = {"Authorization": f"Bearer {side.history_token}"}
    targets = [side.names[t] for t in side.targets[0][:COUNTED]]
    today = {"local_datetime": datetime.now(PLUS_8).isoformat(timespec="seconds")}
    kinds = {
        "ceiling": [("GET", "/api/network/settings/", auth[0], 200)] * COUNTED,
        "follow": [("POST", f"/api/network/follow/{t}/", auth[0], 201) for t in targets],
        "unfollow": [("DELETE", f"/api/network/unfollow/{t}/", auth[0], 200) for t in targets],
        **{
            f"list_{n}": [("GET", f"/api/network/list/following/?page_size={n}", viewer[n], 200)] * COUNTED
            for n in LIST_SIZES
        },  # fmt: skip
        # Today's checklist at +08:00: created (201) once, then found (200); client 2 has a routine.
        "checklist_created": [("POST", "/api/checklists/", auth[1], 201, today)],
        "checklist_found": [("POST", "/api/checklists/", auth[1], 200, today)] * COUNTED,
        "checklist_created_routine": [("POST", "/api/checklists/", auth[2], 201, today)],
        **{f"checklists_{name}": [("GET", path, history, 200)] * 3 for name, path in checklist_paths().items()},
    }
    counted = {}
    with httpx.Client(base_url=server.url, timeout=120) as client, cluster.connect("postgres") as admin:
        for _ in range(10 * WORKERS):  # both workers connected and warm (their once-per-process reads done)
            client.get("/api/network/settings/", headers=auth[0])
        for number in range(ROUTINE_SIZE):
            made = client.post("/api/routine/", headers=auth[2], json={"description": f"routine {number}"})
            if made.status_code == 404:  # code from before the routine (--compare)
                del kinds["checklist_created_routine"]
                break
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)
        for kind, sent in kinds.items():
            admin.execute("SELECT pg_stat_statements_reset()")
            log_start = cluster.log.stat().st_size
            for method, path, headers, expected, *body in sent:
                response = client.request(method, path, headers=headers, json=body[0] if body else None)
                if response.status_code != expected:
                    raise RuntimeError(f"{side.label}: {method} {path} answered {response.status_code}, not {expected}")
            time.sleep(0.3)
            rows = admin.execute(
                "SELECT s.toplevel, s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = %s ORDER BY s.toplevel DESC, s.calls DESC, s.query",
                [side.database],
            ).fetchall()
            counted[kind] = per_request([[top, calls / len(sent), " ".join(q.split())[:200]] for top, calls, q in rows])
            counted[kind]["round_trips"] = cluster.round_trips(log_start, admin.info.backend_pid) / len(sent)
            counted[kind]["bytes"] = len(response.content)
        admin.execute("ALTER SYSTEM RESET log_statement")
        admin.execute("SELECT pg_reload_conf()")
    side.unfollow_all()
    return counted


def server_side(toplevel, query):
    """A statement the server runs for the app's: the count trigger's (nested), or a foreign-key check
    (rr_network's are deferred to COMMIT, where pg_stat_statements records them as top-level)."""
    return not toplevel or (" FROM ONLY " in query and query.endswith("FOR KEY SHARE OF x"))


def per_request(statements):
    """What the app sends (BEGIN, COMMIT and the health check included), what the server runs for it."""
    return {
        "per_request": sum(calls for top, calls, query in statements if not server_side(top, query)),
        "nested_per_request": sum(calls for top, calls, query in statements if server_side(top, query)),
        "statements": statements,
    }


def run_wrk(script, server, cluster, connections, seconds, *args):
    """One wrk run: bench/lua/common.lua's figures, ops/s, CPU per op (workers, PostgreSQL), load average."""
    load_before, workers, backends = os.getloadavg()[0], server.worker_pids(), cluster.pids()
    cpu_before = cpu_seconds(workers), cpu_seconds(backends)
    done = subprocess.run(
        ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(LUA / script), server.url, "--", *map(str, args)],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RR_WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk {script} failed:\n{done.stdout}{done.stderr}")
    figures = json.loads(line.removeprefix("RR_WRK "))
    good = max(figures["requests"] - figures["unexpected"], 1)
    figures["ops_per_s"] = good / (figures["duration_us"] / 1e6)
    figures["median_ms"] = figures["p50_us"] / 1000
    figures["app_cpu_ms"] = (cpu_seconds(workers) - cpu_before[0]) * 1000 / good
    figures["db_cpu_ms"] = (cpu_seconds(set(backends) | set(cluster.pids())) - cpu_before[1]) * 1000 / good
    figures["loadavg"] = [load_before, os.getloadavg()[0]]
    return figures


def run_pgbench(url, script, clients, seconds, workdir, **defines):
    """One pgbench run (simple protocol, like Django's client-side binding): tps, median ms, load average."""
    load_before = os.getloadavg()[0]
    logs = Path(tempfile.mkdtemp(dir=workdir))
    done = subprocess.run(
        [PG_BIN / "pgbench", "-n", "-M", "simple", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
         "-l", *(f"-D{name}={value}" for name, value in defines.items()), "-f", str(SQL / script), url],
        capture_output=True, text=True, timeout=seconds + 60, cwd=logs,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pgbench {script} failed:\n{done.stdout}{done.stderr}")
    latencies = [int(line.split()[2]) for path in logs.iterdir() for line in path.read_text().splitlines()]
    shutil.rmtree(logs)
    tps = float(next(ln for ln in done.stdout.splitlines() if ln.startswith("tps")).split("=")[1].split()[0])
    return {"ops_per_s": tps, "median_ms": statistics.median(latencies) / 1000, "loadavg": [load_before, os.getloadavg()[0]]}  # fmt: skip


def scenarios(side):
    """(name, script, connections, arguments) of a round."""
    today = json.dumps({"local_datetime": datetime.now(PLUS_8).isoformat(timespec="seconds")}, separators=(",", ":"))
    out = [
        ("ceiling", "request.lua", CLIENTS, [side.file["clients"], "GET", "/api/network/settings/", 200]),
        ("follow", "follow.lua", CLIENTS, [side.file["clients"]]),
        ("hot", "follow.lua", CLIENTS, [side.file["hot"]]),
        ("login", "request.lua", CLIENTS, [side.file["logins"], "POST", "/auth/user/", 200, "@line"]),
    ]
    for n in LIST_SIZES:
        args = [side.file[f"viewer_{n}"], "GET", f"/api/network/list/following/?page_size={n}", 200]
        out += [(f"list_{n}", "request.lua", CLIENTS, args), (f"list_{n}_alone", "request.lua", 1, args)]
    out += [(f"checklists_{name}", "request.lua", 1, [side.file["history"], "GET", path, 200])
            for name, path in checklist_paths().items()]  # fmt: skip
    # The checklist of the day found (200): by client 1 (no past day) and by the user with HISTORY_DAYS.
    for name, who in (("checklist_found_new", "client_1"), ("checklist_found_history", "history")):
        out.append((name, "request.lua", 1, [side.file[who], "POST", "/api/checklists/", 200, today]))
    return out


def one_round(sides, servers, cluster, seconds):
    """Every scenario once, the sides alternating scenario by scenario, then the raw SQL: {side: {scenario: figures}}."""
    out = {side.label: {} for side in sides}
    for index in range(len(scenarios(sides[0]))):
        for side in sides:
            name, script, connections, args = scenarios(side)[index]
            out[side.label][name] = run_wrk(script, servers[side.label], cluster, connections, seconds, *args)
            if name in ("follow", "hot"):
                side.unfollow_all()
            if name == f"list_{max(LIST_SIZES)}":
                out[side.label]["rss_after_lists_kib"] = rss_kib(servers[side.label])
    for side in sides:  # the page as one statement, on each side's database that has the summary of days
        with psycopg.connect(side.url) as conn:
            (summary,) = conn.execute("SELECT to_regclass('rr_user_days') IS NOT NULL").fetchone()
        for n in LIST_SIZES if summary else ():
            raw = run_pgbench(side.url, "list.sql", 1, seconds, cluster.dir, viewer=side.viewers[n], size=n)
            out[side.label][f"raw_list_{n}"] = raw
    first = sides[0]
    for name, target, spread in (("raw_follow", first.targets[0][0], 1), ("raw_hot", first.hot, 0)):
        raw = run_pgbench(first.url, "follow_unfollow.sql", CLIENTS, seconds, cluster.dir, first_client=first.clients[0],
                          first_target=target, targets=TARGETS, spread=spread)  # fmt: skip
        raw["ops_per_s"] *= 2  # an INSERT and a DELETE: two ops, as follow + unfollow
        out[first.label][name] = raw
        first.unfollow_all()
    return out


def run(*, rounds, seconds, trees):
    """The whole measurement; `trees` is [(label, path, days)], the first one the code under test."""
    if rounds and not shutil.which("wrk"):  # --rounds 0: statements and round trips only
        raise SystemExit("bench.wrk needs wrk: `make wrk` installs it, or run  sudo apt-get install -y wrk")
    results = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "loadavg_start": os.getloadavg(),
               "seconds": seconds, "workers": WORKERS, "clients": CLIENTS, "sides": {}, "rounds": []}  # fmt: skip
    started = time.perf_counter()
    with Cluster() as cluster, contextlib.ExitStack() as stack:
        with cluster.connect("postgres") as conn:
            (results["postgresql"],) = conn.execute("SHOW server_version").fetchone()
        sides, servers = [], {}
        for label, tree, days in trees:
            log("bench.wrk", f"{label}: migrating and loading a database of its own ({tree}, {days} days a friend)")
            side = Side(cluster, label, tree, days)
            side.build()
            sides.append(side)
            server = Gunicorn(side.env, workers=WORKERS, log_path=cluster.dir / f"gunicorn_{label}.log", tree=side.tree,
                              args=["--max-requests", "0", "--timeout", "120"])  # fmt: skip
            servers[label] = stack.enter_context(server)
            side.sign_in(servers[label])
        for side in sides:
            log("bench.wrk", f"{side.label}: statements per request, counted by pg_stat_statements")
            commit = subprocess.run(
                ["git", "-C", side.tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            )
            results["sides"][side.label] = {"commit": commit.stdout.strip() or "?", "tree": str(side.tree), "days": side.days,
                                            "statements": statements(cluster, side, servers[side.label]),
                                            "rss_start_kib": rss_kib(servers[side.label])}  # fmt: skip
        for number in range(1, rounds + 1):
            log(
                "bench.wrk",
                f"round {number}/{rounds}: {', '.join(s.label for s in sides)}, then pgbench, {seconds} s each",
            )
            results["rounds"].append(one_round(sides, servers, cluster, seconds))
    results["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = time.perf_counter() - started
    return results


# The report: one row per figure, one column per side, min / median / max over the rounds.
def _ratio(a, b, field="ops_per_s"):
    return lambda s, f: s[a][field] / s[b][field] if b in s else None


FIGURES = [  # (name, value of one side's round (its figures, the first side's), format)
    ("ceiling: GET settings/, req/s (8 connections)", lambda s, f: s["ceiling"]["ops_per_s"], "{:.0f}"),
    ("follow+unfollow, ops/s (8 connections)", lambda s, f: s["follow"]["ops_per_s"], "{:.0f}"),
    ("follow+unfollow : ceiling", _ratio("follow", "ceiling"), "{:.0%}"),
    ("follow+unfollow on one hot user : spread out", _ratio("hot", "follow"), "{:.0%}"),
    ("follow+unfollow : raw SQL (pgbench, 8 clients)", lambda s, f: s["follow"]["ops_per_s"] / f["raw_follow"]["ops_per_s"], "{:.0%}"),
    *((f"CPU ms per op, {who}: {what}", lambda s, f, k=kind, c=cpu: s[k][c], "{:.2f}")
      for kind, what in (("ceiling", "ceiling"), ("follow", "follow or unfollow"))
      for cpu, who in (("app_cpu_ms", "app workers"), ("db_cpu_ms", "PostgreSQL"))),
    ("follow's app CPU : ceiling's", lambda s, f: s["follow"]["app_cpu_ms"] / s["ceiling"]["app_cpu_ms"], "{:.2f}x"),
    ("sign-in: POST /auth/user/, req/s (8 connections)", lambda s, f: s["login"]["ops_per_s"], "{:.1f}"),
    *((f"list of {n:,}: lists/s (8 connections)", lambda s, f, n=n: s[f"list_{n}"]["ops_per_s"], "{:.0f}") for n in LIST_SIZES),
    *((f"list of {n:,}: median ms (1 connection)", lambda s, f, n=n: s[f"list_{n}_alone"]["median_ms"], "{:.1f}") for n in LIST_SIZES),
    *((f"list of {n:,}: raw statement, median ms (pgbench, 1 client)", lambda s, f, n=n: s.get(f"raw_list_{n}", {}).get("median_ms"), "{:.2f}") for n in LIST_SIZES),
    *((f"list of {n:,} : its raw statement", _ratio(f"list_{n}_alone", f"raw_list_{n}", "median_ms"), "{:.1f}x") for n in LIST_SIZES),
    ("list of 1,000 : list of 10 (1 connection)", _ratio("list_1000_alone", "list_10_alone", "median_ms"), "{:.1f}x"),
    ("checklist of the day found, median ms (1 connection): no past day", lambda s, f: s["checklist_found_new"]["median_ms"], "{:.1f}"),
    (f"checklist of the day found: {HISTORY_DAYS:,} past days : none", _ratio("checklist_found_history", "checklist_found_new", "median_ms"), "{:.2f}x"),
    *((f"GET /api/checklists/ at {HISTORY_DAYS:,} days, {name}: median ms (1 connection)",
       lambda s, f, name=name: s[f"checklists_{name}"]["median_ms"], "{:.0f}") for name in ("whole", "limit_30", "since_29")),
    ("raw follow+unfollow, ops/s (pgbench, 8 clients)", lambda s, f: s.get("raw_follow", {}).get("ops_per_s"), "{:.0f}"),
    ("raw follow+unfollow on one hot user : spread out", _ratio("raw_hot", "raw_follow"), "{:.0%}"),
]  # fmt: skip
COUNTS = {  # statements and round trips a request: (heading, kinds)
    "network": ("ceiling / follow / unfollow / list 10 / list 1,000", ("ceiling", "follow", "unfollow", "list_10", "list_1000")),
    "checklists": ("POST /api/checklists/ created / found / created with a routine of 10",
                   ("checklist_created", "checklist_found", "checklist_created_routine")),
    "history": (f"GET /api/checklists/ at {HISTORY_DAYS:,} days whole / ?limit=30 / ?since=",
                ("checklists_whole", "checklists_limit_30", "checklists_since_29")),
}  # fmt: skip


def _spread(values, fmt):
    values = sorted(v for v in values if v is not None)
    if not values:
        return "-"
    return " / ".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))


def _count(value):
    return "-" if value is None else f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.2f}"


def table(results):
    """Markdown: one column per side (min / median / max over rounds), the load average over all runs."""
    labels, rounds = list(results["sides"]), results["rounds"]
    first = labels[0]
    loads = [
        v
        for r in rounds
        for side in r.values()
        for run in side.values()
        if isinstance(run, dict)
        for v in run["loadavg"]
    ]
    lines = [
        f"bench.wrk, {results['started']}, {len(rounds)} rounds of {results['seconds']} s, gunicorn "
        f"{results['workers']} sync workers, wrk {results['clients']} connections; PostgreSQL {results['postgresql']} "
        f"(throw-away cluster); load average {min(loads, default=0):.1f}-{max(loads, default=0):.1f}; "
        f"{results['elapsed_s']:.0f} s",
        "",
        "| figure | " + " | ".join(f"{label} ({s['commit']}, {s['days']} days)" for label, s in results["sides"].items()) + " |",
        "|---|" + "---|" * len(labels),
    ]  # fmt: skip
    if rounds:
        for name, value, fmt in FIGURES:
            cells = [_spread([value(r[label], r[first]) for r in rounds], fmt) for label in labels]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    counts = [s["statements"] for s in results["sides"].values()]
    for key, what in (("per_request", "statements sent"), ("round_trips", "round trips"),
                      ("nested_per_request", "statements run by the server for them")):  # fmt: skip
        for heading, kinds in COUNTS.values():
            cells = [" / ".join(_count(c.get(kind, {}).get(key)) for kind in kinds) for c in counts]
            lines.append(f"| {what}: {heading} | " + " | ".join(cells) + " |")
    heading, kinds = COUNTS["history"]
    cells = [" / ".join(f"{c[kind]['bytes'] / 1000:.0f} KB" if kind in c else "-" for kind in kinds) for c in counts]
    lines.append(f"| response bytes: {heading} | " + " | ".join(cells) + " |")
    if rounds:
        rss = [f"{s['rss_start_kib'] / 1024:.0f} / {max(r[label]['rss_after_lists_kib'] for r in rounds) / 1024:.0f} MiB"
               for label, s in results["sides"].items()]  # fmt: skip
        lines.append("| worker RSS: start / after the list loads (largest worker) | " + " | ".join(rss) + " |")
        lines.append(
            f"| runs with unexpected answers or socket errors (all sides) | {len(failures(results))} |"
            + " |" * (len(labels) - 1)
        )
    return "\n".join(lines)


def failures(results):
    """Unexpected answers or socket errors anywhere: the run does not count."""
    return [
        f"round {number} {label} {key}: {run['unexpected']} unexpected ({run['first_unexpected']}), "
        f"{run['socket_errors']} socket errors, {run['timeouts']} timeouts"
        for number, r in enumerate(results["rounds"], start=1)
        for label, side in r.items()
        for key, run in side.items()
        if isinstance(run, dict) and (run.get("unexpected") or run.get("socket_errors") or run.get("timeouts"))
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.wrk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="quick")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--label", default="this", help="the name of this checkout's column")
    parser.add_argument("--days", type=int, default=DAYS, help="this checkout's days of history per friend")
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=TREE[@DAYS]")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    trees = [(args.label, REPO, args.days)]
    for item in args.compare:
        label, _, tree = item.partition("=")
        tree, _, days = tree.partition("@")
        trees.append((label, tree, int(days or DAYS)))
    rounds = MODES[args.mode]["rounds"] if args.rounds is None else args.rounds
    results = run(rounds=rounds, seconds=args.seconds or MODES[args.mode]["seconds"], trees=trees)
    text = table(results)
    path = args.json or RESULTS / f"wrk-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))
    path.with_suffix(".md").write_text(text + "\n")
    print(text)
    bad = failures(results)
    for line in bad:
        print(f"FAILED: {line}", file=sys.stderr)
    log("bench.wrk", f"raw figures in {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
