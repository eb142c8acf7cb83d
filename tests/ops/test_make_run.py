"""`make run`'s path: an embedded PostgreSQL from the pip wheel, migrated, seeded (DEMO=1),
serving the API; stopped with the command (Ctrl-C)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

from rr.ops.demo import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process, limit=300):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run's command exited {process.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.25)
    raise AssertionError(f"nothing answered at {url} within {limit} s")


def _postmaster_pid(data_dir):
    pid_file = data_dir / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


@pytest.fixture
def data_dir():
    """The embedded server's data folder. Not under pytest's tmp_path: the server runs as
    its own system user, which must traverse the folder's parents, and every pytest session
    on the machine resets /tmp/pytest-of-<user> to mode 0700."""
    parent = Path(tempfile.mkdtemp(prefix="rr_make_run_"))
    yield parent / "postgres"
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.slow
def test_make_run_serves_the_demo_on_an_embedded_postgresql(tmp_path, data_dir):
    address = f"127.0.0.1:{_free_port()}"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env["DEMO"] = "1"
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.run", "--data-dir", str(data_dir), "--address", address],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = _wait_for(f"http://{address}/health/", process)
        assert health.status_code == 200, health.text

        login = httpx.post(f"http://{address}/auth/user/", json={"username": "alice", "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['tokens']['access']}"}
        following = httpx.get(f"http://{address}/api/network/list/following/", headers=headers)
        assert following.status_code == 200, following.text
        assert {user["username"] for user in following.json()["users"]} == {"bob", "carol"}
        # dave keeps networking off; carol (followed by alice and dave) gains a follower
        # through the migration's count trigger, in PostgreSQL's dialect.
        assert httpx.post(f"http://{address}/api/network/follow/dave/", headers=headers).status_code == 403
        bob = httpx.post(f"http://{address}/auth/user/", json={"username": "bob", "password": DEMO_PASSWORD})
        bob_headers = {"Authorization": f"Bearer {bob.json()['tokens']['access']}"}
        followed = httpx.post(f"http://{address}/api/network/follow/carol/", headers=bob_headers)
        assert followed.status_code == 201, followed.text
        assert followed.json()["following"]["followers_count"] == 3

        postmaster = _postmaster_pid(data_dir)
        assert postmaster and psutil.pid_exists(postmaster)
        assert (data_dir / "PG_VERSION").read_text().strip() == "18"
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C in the terminal
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.seek(0)
        output = log.read()
        log.close()
        print(output[-5000:])
    assert process.returncode == 0, output[-3000:]
    assert "Serving on http://" in output
    # The embedded server stopped with the command.
    assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() == psutil.STATUS_ZOMBIE


def test_a_port_in_use_is_one_clear_line_before_anything_starts(tmp_path, data_dir):
    """A second `make run` on a taken port: one line saying so and how to choose another; no
    traceback, no "Serving on", no embedded PostgreSQL started, no migration run."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
        result = subprocess.run(
            [sys.executable, "-m", "tools.run", "--data-dir", str(data_dir), "--address", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Port {port} on 127.0.0.1 is already in use (another make run?): stop it, or choose another, "
        f"e.g. make run PORT={port + 1}"
    ]
    assert not data_dir.exists()  # nothing was started


def test_make_run_takes_port():
    """`make run PORT=8123` passes the port to tools.run (make -n prints the command, runs nothing)."""
    dry = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=REPO, capture_output=True, text=True, check=True)
    assert "-m tools.run --address 127.0.0.1:8123" in dry.stdout
