"""One throw-away cluster for the whole folder: a primary, a streaming replica, PgBouncer.

bin/cluster starts it on spare ports in a temporary directory (bench/cluster.py's
Cluster) and it is always torn down, also when a test fails. PgBouncer runs in
transaction mode with a pool of POOL_SIZE server connections, fewer than the clients
the tests open (8 storm threads, 6 gunicorn workers).

The endpoint tests' run through the pooler (EndpointRun: a pytest of its own, 38-44 s
alone) and collectstatic for the replica tests' servers start in the background before
this folder's first test (STARTED_EARLY), and the others run meanwhile: the replica's,
which mostly wait for a pin or a lag to pass, and the load run. The tests that read the
endpoint run's outcome run last (docs/OPERATIONS.md has the folder's time before and after).
"""

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.cluster import REPO, Cluster

POOL_SIZE = 4

# The endpoint tests of every API domain (tests/api's bad-input table reaches every
# endpoint; the domain folders drive each one's answers, the nudges' advisory lock
# and batched accepts included) and the storm. Left out: the admin and rate-limit tests
# (Django admin pages; Redis, not the database), fuzz, legacy/migrations/ops (they run
# against the direct server anyway), and the white-box lock tests bound to one server
# session (tests/cluster/pooled_run.py).
ENDPOINT_TESTS = [
    "tests/api",
    "tests/accounts",
    "tests/checklists",
    "tests/network",
    "--ignore=tests/network/test_admin.py",
    "--ignore=tests/network/test_rate_limits.py",
    "tests/notifications/test_nudges.py",
    "tests/notifications/test_inbox.py",
    "tests/concurrency/test_network_storm.py",
]
ENDPOINT_RUN_TIMEOUT = 600
# What a test asks for -> the fixture that starts its work in the background, before this
# folder's first test, when a selected test needs it (in this order: collectstatic needs no
# cluster, so it runs while the cluster starts).
STARTED_EARLY = {"static_root": "static_root_started", "endpoint_run": "endpoint_run_started"}
TO_START = pytest.StashKey[list]()


class Background:
    """A command started now in a process group of its own; its outcome is read later."""

    def __init__(self, args, env, directory, timeout):
        self.args = [str(arg) for arg in args]
        self.stdout, self.stderr = directory / "stdout.txt", directory / "stderr.txt"
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                self.args, cwd=REPO, env=env, stdout=out, stderr=err, start_new_session=True
            )
        self.deadline = time.monotonic() + timeout

    def result(self):
        """Its CompletedProcess, once it has ended."""
        try:
            self.process.wait(max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        stdout, stderr = self.stdout.read_text(errors="replace"), self.stderr.read_text(errors="replace")
        return subprocess.CompletedProcess(self.args, self.process.returncode, stdout, stderr)

    def stop(self):
        """Ends it and what it started, if it still runs (the session ended before reading it)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class EndpointRun:
    """ENDPOINT_TESTS in a pytest whose DATABASE_URL is the pooler, running in the background."""

    def __init__(self, cluster, directory):
        self.report = directory / "junit.xml"
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url("pooler", "rr_endpoints"),
            "DATABASE_POOL_MODE": "transaction",
        }
        for key in ("DIRECT_DATABASE_URL", "DATABASE_REPLICA_URL"):
            env.pop(key, None)
        # As the runbook says: migrations straight to the server (0006's CREATE INDEX
        # CONCURRENTLY runs under a session-level lock_timeout), the app through the pooler.
        # pytest-django then reuses the migrated test database (--reuse-db), and leaves it:
        # the cluster is deleted whole.
        cluster.create_database("test_rr_endpoints")
        cluster.manage("test_rr_endpoints", "migrate", "--noinput")
        args = [
            sys.executable, "-m", "pytest", *ENDPOINT_TESTS, "-p", "tests.cluster.pooled_run", "--reuse-db",
            f"--junitxml={self.report}",
        ]  # fmt: skip
        self.command = Background(args, env, directory, ENDPOINT_RUN_TIMEOUT)

    def result(self):
        """(its CompletedProcess, the root of its JUnit report), once it has ended."""
        return self.command.result(), ET.parse(self.report).getroot()

    def stop(self):
        self.command.stop()


def pytest_collection_modifyitems(config, items):
    # This folder's tests that read the endpoint run go after the folder's other tests.
    here = Path(__file__).parent
    positions = [index for index, item in enumerate(items) if item.path.is_relative_to(here)]
    ours = [items[index] for index in positions]
    ours.sort(key=lambda item: "endpoint_run" in getattr(item, "fixturenames", ()))
    for index, item in zip(positions, ours, strict=True):
        items[index] = item
    needed = {name for item in ours for name in getattr(item, "fixturenames", ())}
    config.stash[TO_START] = [started for name, started in STARTED_EARLY.items() if name in needed]


@pytest.fixture(scope="session", autouse=True)
def _background_work_starts_first(request):
    for started in request.config.stash.get(TO_START, []):
        request.getfixturevalue(started)


@pytest.fixture(scope="session")
def cluster():
    with Cluster(pool_size=POOL_SIZE) as started:
        yield started


@pytest.fixture(scope="session")
def cluster_db(cluster):
    """The cluster's `rr` database, migrated the way the runbook says (DIRECT_DATABASE_URL)."""
    return cluster.manage("rr", "migrate", "--noinput").stdout


@pytest.fixture(scope="session")
def endpoint_run_started(cluster, tmp_path_factory):
    run = EndpointRun(cluster, tmp_path_factory.mktemp("endpoints"))
    yield run
    run.stop()


@pytest.fixture(scope="session")
def endpoint_run(endpoint_run_started):
    """(CompletedProcess, JUnit root) of the endpoint tests' run through the pooler, once ended."""
    return endpoint_run_started.result()


@pytest.fixture(scope="session")
def static_root_started(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "RR_ALLOW_INSECURE_KEY": "1", "STATIC_ROOT": str(root)}
    command = Background(
        [sys.executable, REPO / "manage.py", "collectstatic", "--noinput"], env, tmp_path_factory.mktemp("collect"), 300
    )
    yield root, command
    command.stop()


@pytest.fixture(scope="session")
def static_root(static_root_started):
    """A STATIC_ROOT filled by collectstatic: with DEBUG off, as in production, the web pages
    need its manifest (4.4 s here, so it runs while the cluster starts)."""
    root, command = static_root_started
    result = command.result()
    assert result.returncode == 0, result.stdout + result.stderr
    return str(root)
