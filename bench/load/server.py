"""The system under load, for every tool of bench/ and the hardening tests: a throw-away
database on DATABASE_URL's server, and gunicorn as production runs it (`gunicorn config.wsgi
-c gunicorn.conf.py`, DEBUG off, Redis cache), bound to 127.0.0.1 on a free port."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rr"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Rate limits lifted for load: the run measures the service, not the limiter.
UNLIMITED = "1000000000/minute"


def log(tool, message):
    print(f"[{tool} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name, base=None):
    """`base` (default: DATABASE_URL) pointing at database `name` on the same server."""
    parts = urlsplit(base or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def derived_name(suffix):
    """`<DATABASE_URL's database>_<suffix>`: engineers sharing a server never collide."""
    return f"{urlsplit(os.environ.get('DATABASE_URL') or DEFAULT_DATABASE_URL).path.lstrip('/') or 'rr'}_{suffix}"


def _maintenance():
    return psycopg.connect(database_url("postgres"), autocommit=True)


def drop_database(name):
    with _maintenance() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def migrated_database(name, env):
    """Create database `name`, migrate it with manage.py in a subprocess; dropped at the end."""
    drop_database(name)
    with _maintenance() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        subprocess.run(
            [sys.executable, str(REPO / "manage.py"), "migrate", "--noinput"],
            cwd=REPO,
            env={**os.environ, **env, "DATABASE_URL": database_url(name)},
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield database_url(name)
    finally:
        drop_database(name)


RATE_SCOPES = ("FOLLOW", "NETWORK_LIST", "SIGNUP", "LOGIN", "LOGIN_ADDRESS", "LOGIN_NAME", "LOGIN_NAME_CEILING",
               "PASSWORD_GUESS")  # fmt: skip


def app_env(database_url, *, redis_url=None, unlimited=True, **extra):
    """Production settings for a loopback run (no TLS in front, so no HTTPS redirect); `unlimited`
    lifts the rate limits (the throttle still runs, one Redis round trip a request, never refusing)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        # Rate-limit windows of this server only, whatever else shares the Redis database.
        "CACHE_KEY_PREFIX": f"rr_load_{uuid.uuid4().hex[:12]}",
        "DEBUG": "0",
        "SECRET_KEY": "load-run-only-secret-key-never-used-in-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    if unlimited:
        env.update({f"RATE_{scope}": UNLIMITED for scope in RATE_SCOPES})
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Gunicorn:
    """`gunicorn config.wsgi` with the production config, bound to 127.0.0.1:<free port>; `tree`:
    the checkout served (bench/wrk.py compares several), `args`: more gunicorn options."""

    def __init__(self, env, *, workers=2, log_path=None, tree=REPO, args=()):
        self.tree, self.args = Path(tree), list(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.workers = workers
        self.log_path = Path(log_path) if log_path else None
        self.process = None
        self.terminated = False

    def start(self, ready_timeout=30):
        return self.launch().wait_ready(ready_timeout)

    def launch(self):
        """Start the master without waiting for it: several servers boot side by side."""
        log = self.log_path.open("wb") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-c",
                str(self.tree / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                *self.args,
            ],
            cwd=self.tree,
            env={**os.environ, **self.env, "WEB_CONCURRENCY": str(self.workers)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if log is not subprocess.DEVNULL:
            log.close()
        return self

    def wait_ready(self, ready_timeout=30):
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log_tail()}")
            try:
                httpx.get(f"{self.url}/health/", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {ready_timeout} s: {self.log_tail()}")

    def worker_pids(self):
        master = self.process.pid
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]

    def log_tail(self, chars=3000):
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path and self.log_path.exists() else ""

    def terminate(self):
        """SIGTERM to the master started here (graceful shutdown) once, without waiting for it."""
        if self.process is not None and self.process.poll() is None and not self.terminated:
            self.process.send_signal(signal.SIGTERM)
            self.terminated = True

    def stop(self, timeout=30):
        """SIGTERM to the master started here (graceful), SIGKILL to its group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
