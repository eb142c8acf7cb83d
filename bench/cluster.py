"""The cluster (bin/cluster) from Python, for tests/cluster and the cluster benchmarks.

`Cluster`: a primary, a streaming replica and PgBouncer on spare ports, always torn down.
`cluster_load`: bench/load's run over several gunicorn instances through the pooler,
counting which server answered the lag-tolerant reads and the pooler's server connections.

`python -m bench.cluster [--seconds 10] [--rounds 2]`: the cluster benchmarks of docs/BENCHMARKS.md.
"""

import argparse
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

import httpx
import psycopg
from psycopg import sql

from bench.load.run import Options, Results, check_database, drive, read_your_writes_violations, report_from
from bench.load.server import Gunicorn, app_env, database_url

REPO = Path(__file__).resolve().parents[1]
CLUSTER_SCRIPT = REPO / "bin" / "cluster"
ROUTE_HEADER = "X-RR-Read-Database"
SECRET_KEY = "cluster-run-only-secret-key-never-used-in-production-0123456789"


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
        return database_url(database, base=self.state["urls"][server])

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
    def create_database(self, name, template="template1"):
        with self.connect("primary", "postgres") as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )

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


# Benchmarks (docs/BENCHMARKS.md, "Cluster"): `python -m bench.cluster`.

BENCH_POOL_SIZE = 4
SETUPS = (("1 instance", 1, False), ("2 instances", 2, False), ("2 instances, replica", 2, True))


def bench(seconds=10.0, rounds=2, users=50, setups=SETUPS, **extra):
    """bench/load's mix through the pooler on 1 and on 2 instances of 2 workers, and on 2 with the
    replica, the three alternating in every round, each run on a fresh copy of one migrated database."""
    figures = {"loadavg_start": os.getloadavg(), "seconds": seconds, "users": users, "runs": {}}
    with Cluster(pool_size=BENCH_POOL_SIZE, bench=True) as cluster:
        cluster.migrated_database("rr_bench_template")
        for number in range(rounds):
            for label, instances, replica in setups:
                database = f"rr_bench_{number}_{instances}{'r' if replica else ''}"
                cluster.create_database(database, template="rr_bench_template")
                load_before = os.getloadavg()[0]
                load = cluster_load(cluster, database, instances=instances, workers=2, users=users, seconds=seconds,
                                    replica=replica, **extra)  # fmt: skip
                report = load["report"]
                figures["runs"].setdefault(label, []).append({
                    "operations_per_second": report.operations / report.seconds, "p99_ms": report.p99_ms, "ok": report.ok,
                    "network_list_p99_ms": report.by_op.get("network_list", {}).get("p99_ms"),
                    "problems": report.problems[:3] + [f"{op} {status}" for op, status, _ in report.unexpected[:3]],
                    "loadavg": [load_before, os.getloadavg()[0]], **{k: v for k, v in load.items() if k not in ("report", "logs")},
                })  # fmt: skip
    figures["loadavg_end"] = os.getloadavg()
    return figures


def summary(figures):
    lines = [f"bench.cluster: bench/load's mix, {figures['users']} users, {figures['seconds']:.0f} s a run, pool "
             f"{BENCH_POOL_SIZE}; mean of {len(next(iter(figures['runs'].values())))} alternated rounds"]  # fmt: skip
    base = None
    for label, runs in figures["runs"].items():
        rate = sum(r["operations_per_second"] for r in runs) / len(runs)
        base = base or rate
        share = [r["replica_share"] for r in runs if r["replica_share"] is not None]
        most = {key: max(r[key] or 0 for r in runs) for key in ("p99_ms", "network_list_p99_ms", "max_server_connections", "pooler_clients")}  # fmt: skip
        loads = [v for r in runs for v in r["loadavg"]]
        lines.append(
            f"  {label:<22} {rate:6.1f} ops/s ({rate / base:.2f}x), p99 {most['p99_ms']:.0f} ms, list p99 "
            f"{most['network_list_p99_ms']:.0f} ms, lag-tolerant reads from the replica {sum(share) / len(share) if share else 0:.0%}, "
            f"read-backs {sum(r['readbacks'] for r in runs)} (violations {sum(r['read_your_writes_violations'] for r in runs)}), "
            f"server connections max {most['max_server_connections']} for {most['pooler_clients']} clients, load average "
            f"{min(loads):.1f}-{max(loads):.1f}, ok {all(r['ok'] for r in runs)}"
        )  # fmt: skip
        lines += [f"    {problem}" for r in runs for problem in r["problems"]]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description="The cluster benchmarks.")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the three setups (default 2)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--replica-only", action="store_true", help="only the setup with the replica")
    parser.add_argument("--cache-down", action="store_true", help="the instances' Redis does not answer (port 1)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    setups, extra = (
        SETUPS[2:] if args.replica_only else SETUPS,
        {"REDIS_URL": "redis://127.0.0.1:1/0"} if args.cache_down else {},
    )
    figures = bench(seconds=args.seconds, rounds=args.rounds, users=args.users, setups=setups, **extra)
    text = summary(figures)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({**figures, "summary": text}, indent=2, default=str))
    return 0 if all(r["ok"] for runs in figures["runs"].values() for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
