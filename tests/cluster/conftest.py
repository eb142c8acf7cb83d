"""One throw-away cluster for the whole folder: a primary, a streaming replica, PgBouncer.

bin/cluster starts it on spare ports in a temporary directory (bench/cluster.py's
Cluster) and it is always torn down, also when a test fails. PgBouncer runs in
transaction mode with a pool of POOL_SIZE server connections, fewer than the clients
the tests open (8 storm threads, 6 gunicorn workers).

The cluster, its migrated `rr`, the endpoint tests' run through the pooler (EndpointRun: a
pytest of its own, 38-44 s alone) and collectstatic for the replica tests' servers start
in a thread as the session begins (EarlyStart, for what the selected tests ask for), so
they get ready while the session's other tests run; this folder's tests run meanwhile too:
the replica's, which mostly wait for a pin or a lag to pass, and the load run. The tests
that read the endpoint run's outcome run last in the folder (docs/OPERATIONS.md has the
folder's time before and after).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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
    "tests/export",
    "tests/network",
    "--ignore=tests/network/test_admin.py",
    "--ignore=tests/network/test_rate_limits.py",
    "tests/notifications/test_nudges.py",
    "tests/notifications/test_inbox.py",
    "tests/concurrency/test_network_storm.py",
]
ENDPOINT_RUN_TIMEOUT = 600
# The fixtures whose work starts as the session begins, when a selected test asks for them
# (directly or through another fixture): EarlyStart.
STARTED_EARLY = {"cluster", "cluster_db", "endpoint_run", "static_root"}
EARLY = pytest.StashKey["EarlyStart"]()


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


class EarlyStart:
    """What this folder's selected tests need, started in a thread as the session begins.

    The cluster comes up, `rr` is migrated, the endpoint run starts and collectstatic runs
    while the session's other tests run (this folder's come late in it: pytest-django puts
    the tests without a database last), so that they are ready, the endpoint run often
    ended, when this folder's first test asks. The fixtures below wait for the thread and
    re-raise what failed in it. Torn down with the session (config.add_cleanup), also when
    a test failed or the run was interrupted.
    """

    def __init__(self, needed):
        self.needed = needed
        self.dir = Path(tempfile.mkdtemp(prefix="rr_cluster_tests_"))
        self.cluster = self.cluster_db = self.endpoints = self.collectstatic = self.error = None
        self.static_root = self.dir / "static"
        self.thread = threading.Thread(target=self._start, name="cluster tests: early start", daemon=True)
        self.thread.start()

    def _start(self):
        try:
            if "static_root" in self.needed:  # needs no cluster: first, while the cluster starts
                collect = self.dir / "collect"
                collect.mkdir()
                env = {**os.environ, "RR_ALLOW_INSECURE_KEY": "1", "STATIC_ROOT": str(self.static_root)}
                self.collectstatic = Background(
                    [sys.executable, REPO / "manage.py", "collectstatic", "--noinput"], env, collect, 300
                )
            if "cluster" in self.needed:
                self.cluster = Cluster(pool_size=POOL_SIZE).__enter__()
                if "endpoint_run" in self.needed:
                    endpoints = self.dir / "endpoints"
                    endpoints.mkdir()
                    self.endpoints = EndpointRun(self.cluster, endpoints)
                if "cluster_db" in self.needed:
                    self.cluster_db = self.cluster.manage("rr", "migrate", "--noinput").stdout
        except BaseException as exc:  # re-raised by ready(), in the fixture that asks
            self.error = exc

    def ready(self, what):
        """Waits for the thread; `what` ("cluster", ...) must have been started."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert what in self.needed, f"{what} was not among the fixtures this run's tests ask for"
        return self

    def stop(self):
        self.thread.join()
        for started in (self.endpoints, self.collectstatic):
            if started is not None:
                started.stop()
        if self.cluster is not None:
            self.cluster.__exit__(None, None, None)
        shutil.rmtree(self.dir, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    # This folder's tests that read the endpoint run go after the folder's other tests.
    here = Path(__file__).parent
    positions = [index for index, item in enumerate(items) if item.path.is_relative_to(here)]
    ours = [items[index] for index in positions]
    ours.sort(key=lambda item: "endpoint_run" in getattr(item, "fixturenames", ()))
    for index, item in zip(positions, ours, strict=True):
        items[index] = item
    # The work they need starts now, before the session's first test (not under --collect-only).
    needed = {name for item in ours for name in getattr(item, "fixturenames", ())} & STARTED_EARLY
    if needed and not config.option.collectonly:
        early = EarlyStart(needed)
        config.stash[EARLY] = early
        config.add_cleanup(early.stop)


@pytest.fixture(scope="session")
def _early(request):
    early = request.config.stash.get(EARLY, None)
    assert early is not None, "the cluster tests' early start did not run (pytest_collection_modifyitems)"
    return early


@pytest.fixture(scope="session")
def cluster(_early):
    return _early.ready("cluster").cluster


@pytest.fixture(scope="session")
def cluster_db(_early):
    """The cluster's `rr` database, migrated the way the runbook says (DIRECT_DATABASE_URL)."""
    return _early.ready("cluster_db").cluster_db


@pytest.fixture(scope="session")
def endpoint_run(_early):
    """(CompletedProcess, JUnit root) of the endpoint tests' run through the pooler, once ended."""
    return _early.ready("endpoint_run").endpoints.result()


@pytest.fixture(scope="session")
def static_root(_early):
    """A STATIC_ROOT filled by collectstatic: with DEBUG off, as in production, the web pages
    need its manifest (4.4 s here, so it runs while the cluster starts)."""
    result = _early.ready("static_root").collectstatic.result()
    assert result.returncode == 0, result.stdout + result.stderr
    return str(_early.static_root)
