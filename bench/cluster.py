"""Issue 15's cluster (bin/cluster) from Python: tests/cluster and the cluster benchmarks use it.

`Cluster` starts a primary, a streaming replica and PgBouncer (transaction pooling, a
small pool) on spare ports in a temporary directory, and always tears them down.
`cluster_load` is bench/load's mixed-traffic run against several gunicorn instances at
once (requests alternate between them), through the pooler, optionally with the
replica; it counts which server answered the lag-tolerant reads and how many server
connections the pooler opened.

`python -m bench.cluster [--seconds 10]` runs the cluster benchmarks of docs/BENCHMARKS.md.
"""

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

from bench.load.run import Options, Results, check_database, drive, read_your_writes_violations, report_from
from bench.load.server import Gunicorn, app_env

REPO = Path(__file__).resolve().parents[1]
CLUSTER_SCRIPT = REPO / "bin" / "cluster"
ROUTE_HEADER = "X-RR-Read-Database"
SECRET_KEY = "cluster-run-only-secret-key-never-used-in-production-0123456789"


def with_database(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class Cluster:
    """A primary, its streaming replica and PgBouncer in front of the primary (bin/cluster)."""

    def __init__(self, pool_size=4, bench=False):
        self.pool_size = pool_size
        self.bench = bench
        self.dir = None
        self.state = None

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rr_cluster_"))
        try:
            args = ["up", str(self.dir), "--pool-size", str(self.pool_size)] + (["--bench"] if self.bench else [])
            self.state = json.loads(self._script(*args).stdout)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.dir is not None:
            subprocess.run(
                [sys.executable, str(CLUSTER_SCRIPT), "down", str(self.dir)], capture_output=True, timeout=60
            )
            shutil.rmtree(self.dir, ignore_errors=True)

    def _script(self, *args):
        result = subprocess.run(
            [sys.executable, str(CLUSTER_SCRIPT), *args], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"bin/cluster {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    # Addresses and connections.
    def url(self, server, database="rr"):
        """`server` is primary, replica or pooler."""
        return with_database(self.state["urls"][server], database)

    def connect(self, server, database="rr"):
        return psycopg.connect(self.url(server, database), autocommit=True, connect_timeout=5)

    def app_env(self, database="rr", *, replica=True, direct=True, **extra):
        """An app server's variables: DATABASE_URL through the pooler, plus the direct URL and replica."""
        env = {"DATABASE_URL": self.url("pooler", database), "DATABASE_POOL_MODE": "transaction"}
        if direct:
            env["DIRECT_DATABASE_URL"] = self.url("primary", database)
        if replica:
            env["DATABASE_REPLICA_URL"] = self.url("replica", database)
        env.update({key: str(value) for key, value in extra.items()})
        return env

    # Databases.
    def create_database(self, name):
        with self.connect("primary", "postgres") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def manage(self, database, *args, env=None, check=True, timeout=300):
        """manage.py in a subprocess, configured like an app server of this cluster."""
        result = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env={**os.environ, "RR_ALLOW_INSECURE_KEY": "1", **self.app_env(database), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    def migrated_database(self, name):
        """Create and migrate database `name` (migrate goes straight to the primary); its migrate output."""
        self.create_database(name)
        return self.manage(name, "migrate", "--noinput").stdout

    # The replica.
    def replica_pause(self):
        with self.connect("replica", "postgres") as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def replica_resume(self):
        with self.connect("replica", "postgres") as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def primary_restart(self):
        """Restart the primary (bin/cluster primary restart); seconds it took."""
        started = time.monotonic()
        self._script("primary", "restart", str(self.dir))
        return time.monotonic() - started

    def replica_stop(self):
        self._script("replica", "stop", str(self.dir))

    def replica_start(self):
        self._script("replica", "start", str(self.dir))

    def replica_wait_caught_up(self, timeout=30):
        """Wait until the replica has replayed everything the primary has written so far."""
        with self.connect("primary", "postgres") as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect("replica", "postgres") as replica:
            while time.monotonic() < deadline:
                if replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise TimeoutError(f"the replica did not replay up to {target} within {timeout} s")

    # What the primary saw.
    def pooled_backends(self, database):
        """Server connections the pooler holds to `database` now (its role is the pooler's own)."""
        with self.connect("primary", "postgres") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND datname = %s",
                [self.state["pooled_role"], database],
            ).fetchone()[0]

    def pooler_clients(self, database):
        """Client connections PgBouncer has for `database` now (its admin console, SHOW CLIENTS)."""
        result = subprocess.run(
            ["psql", "-X", "-A", "-t", "-F", "|", "-d", self.url("pooler", "pgbouncer"), "-c", "SHOW CLIENTS"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return sum(1 for line in result.stdout.splitlines() if line.split("|")[2:3] == [database])

    def primary_log(self):
        return (self.dir / "primary.log").read_text(errors="replace")


_READ_KINDS = {
    "/api/network/list/": "list",
    "/api/network/validate/": "validate",
    "/api/checklists/history/": "history",
}


def _read_kind(path):
    return next((kind for prefix, kind in _READ_KINDS.items() if path.startswith(prefix)), "other")


class RoundRobin(httpx.AsyncBaseTransport):
    """Sends each request to the next of several servers on loopback, counting where reads went."""

    def __init__(self, ports, limits):
        self.ports = list(ports)
        self._next = itertools.cycle(self.ports)
        self._transport = httpx.AsyncHTTPTransport(limits=limits)
        self.by_port = Counter()
        self.routes = Counter()  # (path prefix, X-RR-Read-Database) -> answers

    async def handle_async_request(self, request):
        port = next(self._next)
        request.url = request.url.copy_with(port=port)
        request.headers["Host"] = f"127.0.0.1:{port}"
        response = await self._transport.handle_async_request(request)
        self.by_port[port] += 1
        route = response.headers.get(ROUTE_HEADER)
        if route:
            self.routes[(_read_kind(request.url.path), route)] += 1
        return response

    async def aclose(self):
        await self._transport.aclose()


class BackendWatch(threading.Thread):
    """Polls how many server connections the pooler holds to a database; keeps the maximum."""

    def __init__(self, cluster, database, every=0.1):
        super().__init__(daemon=True)
        self.cluster, self.database, self.every = cluster, database, every
        self.maximum = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                self.maximum = max(self.maximum, self.cluster.pooled_backends(self.database))
            except psycopg.Error:
                pass
            self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join(5)


def app_server(cluster, database, *, workers, replica, log_path, cache_prefix, **extra):
    """A gunicorn server of this cluster, not started: through the pooler, with the direct URL."""
    env = app_env(
        cluster.url("pooler", database),
        CACHE_KEY_PREFIX=cache_prefix,
        SECRET_KEY=SECRET_KEY,
        REPLICA_ROUTE_HEADER=1,
        **{key: value for key, value in cluster.app_env(database, replica=replica).items() if key != "DATABASE_URL"},
        **extra,
    )
    return Gunicorn(env, workers=workers, log_path=log_path)


def start_all(servers):
    """Boot the servers side by side (each one's workers import Django) and wait until each answers."""
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers):
    """Graceful shutdown of the servers side by side."""
    for server in servers:
        server.terminate()
    for server in servers:
        server.stop()


def start_servers(cluster, database, *, instances, workers, replica, log_dir, cache_prefix=None, **extra):
    """`instances` gunicorn servers of this cluster sharing one cache prefix (pins, rate limits)."""
    prefix = cache_prefix or f"rr_cluster_{uuid.uuid4().hex[:12]}"
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    settings = {"workers": workers, "replica": replica, "cache_prefix": prefix, **extra}
    logs = [log_dir / f"gunicorn{number}.log" for number in range(instances)]
    return start_all([app_server(cluster, database, log_path=log, **settings) for log in logs])


def cluster_load(
    cluster, database, *, instances=2, workers=3, users=50, seconds=10, replica=True, seed=6, log_dir=None,
    readback=True, **extra,
):  # fmt: skip
    """bench/load's run over `instances` gunicorn servers through the pooler; a dict of figures.

    With `readback`, every acknowledged follow is followed at once by the follower's list
    (on the next server in turn): a list without the follow is a read-your-writes violation,
    a problem of the report. `extra`: the servers' environment (e.g. REDIS_URL).
    """
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="rr_cluster_load_"))
    options = Options(users=users, seconds=seconds, workers=workers * instances, seed=seed, readback=readback)
    results = Results()
    servers = start_servers(
        cluster, database, instances=instances, workers=workers, replica=replica, log_dir=log_dir, **extra
    )
    try:
        watch = BackendWatch(cluster, database)
        watch.start()
        limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
        transport = RoundRobin([server.port for server in servers], limits)
        try:
            elapsed = asyncio.run(drive(servers[0].url, options, results, transport=transport))
            clients = cluster.pooler_clients(database)
        finally:
            watch.stop()
    finally:
        stop_all(servers)
    problems, stored = check_database(cluster.url("primary", database), results)
    report = report_from(options, elapsed, results, problems, stored)
    list_reads = transport.routes[("list", "replica")] + transport.routes[("list", "primary")]
    kinds = ("list", "validate", "history")
    tolerant = sum(transport.routes[(kind, route)] for kind in kinds for route in ("replica", "primary"))
    return {
        "replica_share": sum(transport.routes[(kind, "replica")] for kind in kinds) / tolerant if tolerant else None,
        "readbacks": results.readbacks,
        "read_your_writes_violations": len(read_your_writes_violations(results)),
        "readbacks_raced": len(results.readback_misses) - len(read_your_writes_violations(results)),
        "report": report,
        "instances": instances,
        "workers_per_instance": workers,
        "by_instance": sorted(transport.by_port.values()),
        "routes": {f"{kind} {route}": n for (kind, route), n in sorted(transport.routes.items())},
        "list_replica_share": transport.routes[("list", "replica")] / list_reads if list_reads else None,
        "pooler_clients": clients,
        "max_server_connections": watch.maximum,
        "logs": [server.log_tail(20000) for server in servers],
    }


# ---------------------------------------------------------------------------------------
# Benchmarks (docs/BENCHMARKS.md, "Cluster"): `python -m bench.cluster`.

BENCH_POOL_SIZE = 4
CLIENTS = 8
TARGETS = 40


def _cpu_seconds(pids):
    """utime + stime of these processes (and their live threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class CpuMeter:
    """CPU used by each part of the system during a run: app workers, PostgreSQL, PgBouncer, clients."""

    def __init__(self, cluster, servers):
        self.cluster, self.servers = cluster, servers

    def _groups(self):
        postmasters = [
            int((self.cluster.dir / name / "postmaster.pid").read_text().split()[0])
            for name in ("primary", "replica")
            if (self.cluster.dir / name / "postmaster.pid").exists()
        ]
        bouncer = self.cluster.dir / "pgbouncer.pid"
        return {
            "gunicorn": [
                pid for server in self.servers for pid in [server.process.pid, *_children(server.process.pid)]
            ],
            "postgresql": [pid for master in postmasters for pid in [master, *_children(master)]],
            "pgbouncer": [int(bouncer.read_text())] if bouncer.exists() else [],
            "load generator": [os.getpid()],
        }

    def __enter__(self):
        self.pids = self._groups()
        self.start = {group: _cpu_seconds(pids) for group, pids in self.pids.items()}
        self.wall = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.wall
        self.used = {group: _cpu_seconds(pids) - self.start[group] for group, pids in self.pids.items()}

    def shares(self):
        capacity = self.wall * os.cpu_count()
        return {group: round(used / capacity, 3) for group, used in self.used.items()}


async def _closed_loop(ports, seconds, step, clients):
    """`clients` loops calling `step(client, number)` back to back for `seconds`; the latencies."""
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    transport = RoundRobin(ports, limits)
    latencies = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}", transport=transport, timeout=60) as http:
        deadline = time.monotonic() + seconds

        async def loop(number):
            while time.monotonic() < deadline:
                started = time.perf_counter()
                await step(http, number)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(loop(number) for number in range(clients)))
    return latencies, transport


def _p99(values):
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else None


def _expect(response, *statuses):
    if response.status_code not in statuses:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:200]}"
        )


class Population:
    """CLIENTS actors with tokens, TARGETS users to follow, one hot user; each actor follows 20 targets."""

    def __init__(self, url):
        self.actors, self.targets = [], []
        with httpx.Client(base_url=url, timeout=60) as http:

            def sign_up(name):
                response = http.post("/auth/user/", json={"username": name})
                _expect(response, 201)
                return {"Authorization": f"Bearer {response.json()['tokens']['access']}"}

            tag = uuid.uuid4().hex[:6]
            self.hot = f"hot_{tag}"
            sign_up(self.hot)
            self.targets = [f"t_{tag}_{n}" for n in range(TARGETS)]
            for name in self.targets:
                sign_up(name)
            for n in range(CLIENTS):
                headers = sign_up(f"a_{tag}_{n}")
                for target in self.targets[n : n + 20]:
                    _expect(http.post(f"/api/network/follow/{target}/", headers=headers), 201)
                self.actors.append(headers)


def _follow_pairs(population, hot):
    rngs = [itertools.count(n * 7) for n in range(CLIENTS)]

    async def step(http, number):
        headers = population.actors[number]
        # Spread: targets the actor does not follow (its 20 are number..number+19).
        target = population.hot if hot else population.targets[(number + 20 + next(rngs[number]) % 20) % TARGETS]
        _expect(await http.post(f"/api/network/follow/{target}/", headers=headers), 201)
        _expect(await http.delete(f"/api/network/unfollow/{target}/", headers=headers), 200)

    return step


def _lists(population):
    async def step(http, number):
        _expect(await http.get("/api/network/list/following/", headers=population.actors[number]), 200)

    return step


def _measure(cluster, servers, step, seconds):
    with CpuMeter(cluster, servers) as cpu:
        load_before = os.getloadavg()[0]
        latencies, transport = asyncio.run(_closed_loop([s.port for s in servers], seconds, step, CLIENTS))
    return {
        "per_second": len(latencies) / seconds,
        "p99_ms": _p99(latencies),
        "loadavg": round((load_before + os.getloadavg()[0]) / 2, 2),
        "cpu_share": cpu.shares(),
        "routes": {f"{kind} {route}": n for (kind, route), n in transport.routes.items()},
    }


def _pgbench(cluster, database, hot_id, follower_ids, target_ids, seconds, hot):
    """Raw SQL ceiling: the follow's INSERT and the unfollow's DELETE (the count trigger fires on
    both), one transaction each, CLIENTS pgbench clients through the pooler."""
    script = cluster.dir / f"follow_{'hot' if hot else 'spread'}.sql"
    target = str(hot_id) if hot else ":t"
    lines = [
        f"\\set f {follower_ids[0]} + (:client_id % {len(follower_ids)})",
        f"\\set t random({min(target_ids)}, {max(target_ids)})",
        f"INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (:f, {target}, now()) ON CONFLICT DO NOTHING;",
        f"DELETE FROM rr_network WHERE follower_id = :f AND following_id = {target};",
    ]
    script.write_text("\n".join(lines) + "\n")
    os.chmod(script, 0o644)
    result = subprocess.run(
        ["pgbench", "-n", "-M", "simple", "-c", str(CLIENTS), "-j", "2", "-T", str(int(seconds)),
         "-f", str(script), cluster.url("pooler", database)],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    tps = [line for line in result.stdout.splitlines() if line.startswith("tps")]
    return float(tps[0].split("=")[1].split()[0])


def bench(seconds=5.0, load_seconds=10.0, rounds=2):
    """Every cluster figure of docs/BENCHMARKS.md, measured side by side in one run."""
    figures = {"machine": {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}, "seconds": seconds}
    with Cluster(pool_size=BENCH_POOL_SIZE, bench=True) as cluster:
        cluster.create_database("rr_bench")
        cluster.manage("rr_bench", "migrate", "--noinput")
        unlimited = {"RATE_FOLLOW": "1000000000/minute", "RATE_NETWORK_LIST": "1000000000/minute"}
        log_dir = Path(tempfile.mkdtemp(prefix="rr_cluster_bench_"))
        prefix = f"rr_bench_{uuid.uuid4().hex[:8]}"

        def servers(instances, replica):
            return start_servers(
                cluster, "rr_bench", instances=instances, workers=2, replica=replica,
                log_dir=log_dir / f"{instances}{replica}", cache_prefix=prefix, **unlimited,
            )  # fmt: skip

        setup = servers(1, False)
        try:
            population = Population(setup[0].url)
        finally:
            stop_all(setup)
        # 1 vs 2 instances (2 workers each) through the pooler, alternated to share the noise.
        throughput = {"follow_pairs": {1: [], 2: []}, "lists": {1: [], 2: []}, "hot_pairs": {1: [], 2: []}}
        for _ in range(rounds):
            for instances in (1, 2):
                running = servers(instances, False)
                try:
                    throughput["follow_pairs"][instances].append(
                        _measure(cluster, running, _follow_pairs(population, hot=False), seconds)
                    )
                    throughput["hot_pairs"][instances].append(
                        _measure(cluster, running, _follow_pairs(population, hot=True), seconds)
                    )
                    throughput["lists"][instances].append(_measure(cluster, running, _lists(population), seconds))
                finally:
                    stop_all(running)
        figures["throughput"] = throughput
        # Lists with and without the replica (2 instances); the actors have not written for a while.
        cluster.replica_wait_caught_up()
        time.sleep(8)  # past READ_YOUR_WRITES_SECONDS of the set-up's follows
        replica_lists = {"without": [], "with": []}
        for _ in range(rounds):
            for mode in ("without", "with"):
                running = servers(2, mode == "with")
                try:
                    replica_lists[mode].append(_measure(cluster, running, _lists(population), seconds))
                finally:
                    stop_all(running)
        figures["replica_lists"] = replica_lists
        # The raw-SQL ceiling of follow+unfollow with pgbench, hot and spread.
        with cluster.connect("primary", "rr_bench") as conn:
            ids = dict(conn.execute("SELECT username, id FROM rr_user").fetchall())
        followers = sorted(ids[name] for name in ids if name.startswith("a_"))
        assert followers == list(range(followers[0], followers[0] + CLIENTS)), "actors' ids are not consecutive"
        target_ids = [ids[name] for name in population.targets]
        hot_id = ids[population.hot]
        pgbench = {"hot": [], "spread": []}
        for _ in range(rounds):
            for mode in ("hot", "spread"):
                # One actor per pgbench client (so a hot follow never clashes with another client's).
                pgbench[mode].append(
                    _pgbench(cluster, "rr_bench", hot_id, followers, target_ids, seconds, mode == "hot")
                )
        figures["pgbench_pairs_per_second"] = pgbench
        with cluster.connect("primary", "rr_bench") as conn:
            drift = conn.execute(
                """SELECT count(*) FROM rr_user u WHERE followers_count <> (SELECT count(*) FROM rr_network
                   WHERE following_id = u.id) OR following_count <> (SELECT count(*) FROM rr_network
                   WHERE follower_id = u.id)"""
            ).fetchone()[0]
        figures["counts_drift_after"] = drift
        # The mixed load run (bench/load's mix) on 2 instances with the replica.
        cluster.create_database("rr_bench_load")
        cluster.manage("rr_bench_load", "migrate", "--noinput")
        load = cluster_load(cluster, "rr_bench_load", instances=2, workers=2, users=50, seconds=load_seconds)
        figures["load"] = {
            "summary": load["report"].summary(),
            "ok": load["report"].ok,
            "operations_per_second": load["report"].operations / load["report"].seconds,
            "network_list_p99_ms": load["report"].by_op.get("network_list", {}).get("p99_ms"),
            "routes": load["routes"],
            "list_replica_share": load["list_replica_share"],
            "replica_share": load["replica_share"],
            "readbacks": load["readbacks"],
            "read_your_writes_violations": load["read_your_writes_violations"],
            "max_server_connections": load["max_server_connections"],
            "pooler_clients": load["pooler_clients"],
        }
    figures["machine"]["loadavg_end"] = os.getloadavg()
    return figures


def _mean(values):
    return sum(values) / len(values) if values else float("nan")


def summary(figures):
    t = figures["throughput"]
    lines = [
        f"cluster benchmarks: {figures['seconds']:.0f} s per measurement, {CLIENTS} clients, pool {BENCH_POOL_SIZE}"
    ]
    for what in ("follow_pairs", "hot_pairs", "lists"):
        one, two = (_mean([m["per_second"] for m in t[what][n]]) for n in (1, 2))
        loads = [m["loadavg"] for n in (1, 2) for m in t[what][n]]
        lines.append(
            f"  {what:<13} 1 instance {one:7.1f}/s, 2 instances {two:7.1f}/s, ratio {two / one:.2f} "
            f"(load average {min(loads):.1f}-{max(loads):.1f})"
        )
        cpu = t[what][2][-1]["cpu_share"]
        lines.append(f"    CPU share with 2 instances: {cpu}")
    r = figures["replica_lists"]
    for mode in ("without", "with"):
        p99 = _mean([m["p99_ms"] for m in r[mode]])
        rate = _mean([m["per_second"] for m in r[mode]])
        routes = r[mode][-1]["routes"]
        lines.append(f"  lists {mode} replica: {rate:.1f}/s, p99 {p99:.1f} ms, answered by {routes}")
    pg = figures["pgbench_pairs_per_second"]
    hot_app = _mean([m["per_second"] for m in t["hot_pairs"][2]])
    lines.append(
        f"  pgbench follow+unfollow pairs/s: hot {_mean(pg['hot']):.0f}, spread {_mean(pg['spread']):.0f}; "
        f"app hot user (2 instances) {hot_app:.1f}/s = {hot_app / _mean(pg['hot']):.1%} of the raw hot ceiling"
    )
    lines.append(f"  counts drift after all of it: {figures['counts_drift_after']} users")
    load = figures["load"]
    lines.append(
        f"  load run (2 instances, replica): {load['operations_per_second']:.0f} ops/s, list p99 "
        f"{load['network_list_p99_ms']:.0f} ms, lists from the replica {load['list_replica_share']}, "
        f"server connections max {load['max_server_connections']} for {load['pooler_clients']} clients, ok={load['ok']}"
    )
    m = figures["machine"]
    lines.append(f"  load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end")
    return "\n".join(lines)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description="The cluster benchmarks (issue 15).")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement (default 5)")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="length of the mixed load run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of each comparison (default 2)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    figures = bench(seconds=args.seconds, load_seconds=args.load_seconds, rounds=args.rounds)
    text = summary(figures)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({**figures, "summary": text}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
