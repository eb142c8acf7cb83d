"""Benchmarks 3 and 6 through the real HTTP stack: gunicorn, PostgreSQL, Redis, asyncio httpx clients.

The server is `gunicorn config.wsgi` with the repository's gunicorn.conf.py (which
gunicorn reads from the working directory) overridden where a benchmark needs it:
127.0.0.1 and a free port, N sync workers, and no worker recycling (max_requests
would restart workers mid-run, resetting the per-worker CPU and peak-memory figures
measured here). Started and stopped by the benchmark; load is bounded in time and
loopback-only.

The framework's ceiling is GET /api/network/settings/: authenticated like every
/api/ endpoint (JWT decoded, the user fetched: one small query), then a constant
answer. The project has no no-op endpoint and the bench adds none, so this is the
cheapest authenticated request the server can answer.
"""

import asyncio
import os
import resource
import signal
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg

from bench.env import PYTHON, REPO, RESULTS, app_settings_env

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_proc(pid, name):
    try:
        with open(f"/proc/{pid}/{name}") as handle:
            return handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def cpu_seconds(pid):
    """User + system CPU time a live process has used (0 if it is gone)."""
    stat = _read_proc(pid, "stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid):
    """{'VmHWM': peak resident KiB, 'VmRSS': current resident KiB} of a live process."""
    figures = {}
    for line in _read_proc(pid, "status").splitlines():
        key, _, value = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            figures[key] = int(value.split()[0])
    return figures


class Server:
    """gunicorn on 127.0.0.1:<free port>, sync workers, the bench settings; a context manager."""

    def __init__(self, database_url, *, workers, log_name="gunicorn", tree=REPO, extra_env=None):
        self.tree = tree  # the checkout whose code is served (bench/wrk.py compares several)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, **app_settings_env(database_url), **(extra_env or {})}
        self.log_path = RESULTS / f"{log_name}.log"
        self.process = None

    def __enter__(self):
        RESULTS.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--threads",
                "1",
                "--max-requests",
                "0",
                "--timeout",
                "60",
            ],
            cwd=self.tree,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}; see {self.log_path}")
            try:
                if (
                    httpx.get(f"{self.url}/health/", timeout=2).status_code == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log_path}")

    def worker_pids(self):
        children = _read_proc(self.process.pid, f"task/{self.process.pid}/children")
        return [int(pid) for pid in children.split()]

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class LoadResult:
    name: str
    ops: int
    seconds: float
    errors: int
    latencies: list = field(repr=False)
    client_cpu: float = 0.0  # CPU seconds of the load client itself
    server_cpu: float = 0.0  # CPU seconds of the gunicorn workers
    database_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends serving them
    lock_waiting: float = 0.0  # mean number of backends waiting on a lock, sampled
    first_errors: list = field(default_factory=list)  # (method, path, status) of the first failures

    @property
    def rate(self):
        return self.ops / self.seconds if self.seconds else 0.0

    def as_dict(self):
        ops = max(self.ops, 1)
        ordered = sorted(self.latencies) or [0.0]
        return {
            "scenario": self.name,
            "ops": self.ops,
            "seconds": round(self.seconds, 3),
            "ops_per_s": round(self.rate, 1),
            "errors": self.errors,
            "median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2),
            "server_cpu_ms_per_op": round(self.server_cpu * 1000 / ops, 3),
            "database_cpu_ms_per_op": round(self.database_cpu * 1000 / ops, 3),
            "client_cpu_share": round(self.client_cpu / self.seconds, 3) if self.seconds else 0.0,
            "lock_waiting": round(self.lock_waiting, 3),
            "first_errors": [list(error) for error in self.first_errors],
        }


def _backend_pids(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


class _LockSampler(threading.Thread):
    """Counts, every 50 ms, the backends of the bench database waiting on a lock."""

    def __init__(self, database_url):
        super().__init__(daemon=True)
        self.database_url = database_url
        self.stop = threading.Event()
        self.samples = []
        self.backend_pid = None
        self.ready = threading.Event()

    def run(self):
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            self.backend_pid = conn.info.backend_pid
            self.ready.set()
            while not self.stop.is_set():
                (waiting,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()
                self.samples.append(waiting)
                self.stop.wait(0.05)

    def mean(self):
        return statistics.fmean(self.samples) if self.samples else 0.0


# A scenario is a function (client index) -> list of (method, path, expected status):
# one round of a client's loop, repeated until the time is up. A round is never cut
# short, so every follow is undone before the scenario ends.


def settings_scenario(index):
    return [("GET", "/api/network/settings/", 200)]


def follow_scenario(usernames_by_client):
    """Client i follows then unfollows its own targets in turn: no two clients share a row."""
    positions = {}

    def step(index):
        targets = usernames_by_client[index]
        position = positions.get(index, 0)
        positions[index] = position + 1
        target = targets[position % len(targets)]
        return [
            ("POST", f"/api/network/follow/{target}/", 201),
            ("DELETE", f"/api/network/unfollow/{target}/", 200),
        ]

    return step


def hot_scenario(hot_username):
    """Every client follows then unfollows the same user: all of them update its counter row."""

    def step(index):
        return [
            ("POST", f"/api/network/follow/{hot_username}/", 201),
            ("DELETE", f"/api/network/unfollow/{hot_username}/", 200),
        ]

    return step


def list_scenario(index):
    return [("LIST", "/api/network/list/following/", 200)]


async def _client_loop(http, index, token, step, deadline, latencies, errors):
    headers = {"Authorization": f"Bearer {token}"}
    ops = 0
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        for method, path, expected in step(index):
            started = loop.time()
            if method == "LIST":
                status = await _list_all(http, path, headers)
            else:
                status = (await http.request(method, path, headers=headers)).status_code
            latencies.append(loop.time() - started)
            if status == expected:
                ops += 1
            else:
                errors.append((method, path, status))
    return ops


async def _list_all(http, path, headers):
    cursor = None
    while True:
        response = await http.get(path, params={"cursor": cursor} if cursor else None, headers=headers)
        if response.status_code != 200:
            return response.status_code
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return 200


async def _run(base_url, tokens, step, duration):
    latencies, errors = [], []
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        deadline = asyncio.get_running_loop().time() + duration
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(_client_loop(http, i, token, step, deadline, latencies, errors) for i, token in enumerate(tokens))
        )
        elapsed = time.perf_counter() - started
    return sum(counts), elapsed, latencies, errors


def load(server, database_url, name, tokens, step, duration):
    """Run `len(tokens)` concurrent clients for `duration` seconds; a LoadResult with CPU split."""
    workers = server.worker_pids()
    backends = _backend_pids(database_url)
    before = {pid: cpu_seconds(pid) for pid in workers + backends}
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    sampler = _LockSampler(database_url)
    sampler.start()
    sampler.ready.wait(10)
    try:
        ops, elapsed, latencies, errors = asyncio.run(_run(server.url, tokens, step, duration))
    finally:
        sampler.stop.set()
        sampler.join()
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    if server.worker_pids() != workers:
        raise RuntimeError(f"gunicorn workers changed during {name!r}; see {server.log_path}")
    backends = (set(backends) | set(_backend_pids(database_url))) - {sampler.backend_pid}
    used = {pid: cpu_seconds(pid) - before.get(pid, 0.0) for pid in set(workers) | backends}
    result = LoadResult(
        name=name,
        ops=ops,
        seconds=elapsed,
        errors=len(errors),
        latencies=latencies,
        client_cpu=(own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime),
        server_cpu=sum(used[pid] for pid in workers),
        database_cpu=sum(used[pid] for pid in backends if pid not in workers),
        lock_waiting=sampler.mean(),
        first_errors=errors[:5],
    )
    return result


def merge(name, results):
    """Several rounds of one scenario as one LoadResult (rates: total ops over total time)."""
    return LoadResult(
        name=name,
        ops=sum(r.ops for r in results),
        seconds=sum(r.seconds for r in results),
        errors=sum(r.errors for r in results),
        latencies=[latency for r in results for latency in r.latencies],
        client_cpu=sum(r.client_cpu for r in results),
        server_cpu=sum(r.server_cpu for r in results),
        database_cpu=sum(r.database_cpu for r in results),
        lock_waiting=statistics.fmean(r.lock_waiting for r in results) if results else 0.0,
        first_errors=[error for r in results for error in r.first_errors][:5],
    )
