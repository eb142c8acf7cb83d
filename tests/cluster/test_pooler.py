"""The API through PgBouncer in transaction mode, with fewer server connections than clients.

- the API's endpoint tests (tests/api, tests/network, tests/checklists) and the follow
  storm (tests/concurrency/test_network_storm.py: counts exact, no deadlock, no 5xx) run
  in a pytest of their own whose DATABASE_URL is the pooler;
- bench/load's mixed load run against two gunicorn instances at once;
- verify_deployment through the pooler, count repairs straight to the server;
- and, after all of it, nothing that went through the pooler left session state behind.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from bench.cluster import REPO, cluster_load
from bench.load.run import MIX
from tests.cluster.conftest import POOL_SIZE
from tests.cluster.session_audit import session_state, statement_count

pytestmark = pytest.mark.slow

# The endpoint tests of every API domain (tests/api's bad-input table reaches every
# endpoint; the domain folders drive each one's answers, the social ones' advisory lock
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
    "tests/social",
    "--ignore=tests/social/test_admin.py",
    "tests/concurrency/test_network_storm.py",
]


@pytest.fixture(scope="module")
def endpoint_run(cluster, tmp_path_factory):
    report = tmp_path_factory.mktemp("endpoints") / "junit.xml"
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
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *ENDPOINT_TESTS,
            "-p",
            "tests.cluster.pooled_run",
            "--reuse-db",
            f"--junitxml={report}",
        ],  # fmt: skip
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, ET.parse(report).getroot()


@pytest.fixture(scope="module")
def load_run(cluster, cluster_db):
    cluster.migrated_database("rr_load")
    return cluster_load(cluster, "rr_load", instances=2, workers=3, users=40, seconds=10)


def test_the_endpoint_tests_and_the_storm_pass_through_the_pooler(endpoint_run):
    result, junit = endpoint_run
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    tests, failures, errors = (int(suite.get(key)) for key in ("tests", "failures", "errors"))

    assert result.returncode == 0 and failures == errors == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert tests > 700  # every domain's folder ran
    assert "session-bound lock test(s) left out" in result.stdout
    storm = [case for case in suite.iter("testcase") if "test_network_storm" in case.get("classname", "")]
    assert storm and all(case.find("skipped") is None for case in storm)


def test_two_instances_under_load_through_a_pool_smaller_than_their_workers(load_run):
    report = load_run["report"]
    print("\n" + report.summary(), {k: v for k, v in load_run.items() if k not in ("report", "logs")})

    assert report.server_errors == 0
    assert report.lost == 0
    assert report.unexpected == []
    assert report.problems == []  # the counts equal rr_network; every acknowledged write is stored
    assert set(report.by_op) == set(MIX)
    assert report.operations > 100
    # Both instances served (requests alternate), with 6 workers on a pool of 4.
    assert min(load_run["by_instance"]) >= 0.45 * report.operations
    assert load_run["pooler_clients"] > POOL_SIZE
    assert 0 < load_run["max_server_connections"] <= POOL_SIZE


def test_verify_deployment_passes_through_the_pooler(cluster, cluster_db):
    result = cluster.manage("rr", "verify_deployment", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^OK +pooler: transaction pooling", result.stdout, re.M)
    assert re.search(r"^OK +direct_url: same primary", result.stdout, re.M)
    assert re.search(r"^OK +replica: streaming standby", result.stdout, re.M)


def test_migrate_and_the_count_repair_go_straight_to_the_server(cluster, cluster_db):
    assert cluster_db.startswith("Migrating through DIRECT_DATABASE_URL")
    scan = re.compile(r"^<(\w+)> LOG:  (?:statement|execute [^:]+): SET TRANSACTION READ ONLY", re.M)
    before = scan.findall(cluster.primary_log())

    result = cluster.manage("rr", "initialize_network_counts", "--check", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    after = scan.findall(cluster.primary_log())
    new = after[len(before) :]
    assert new and set(new) == {"postgres"}, new  # the direct URL's role, never the pooler's


def test_nothing_that_went_through_the_pooler_left_session_state(cluster, endpoint_run, load_run):
    log = cluster.primary_log()
    role = cluster.state["pooled_role"]

    assert statement_count(log, role) > 5000  # the runs above went through it
    assert session_state(log, role) == []


def test_backups_go_straight_to_the_server(cluster, cluster_db, tmp_path):
    copy = re.compile(r"^<(\w+)> LOG:  statement: COPY public\.rr_user ", re.M)
    before = copy.findall(cluster.primary_log())
    env = {**os.environ, **cluster.app_env("rr")}  # DATABASE_URL is the pooler's

    result = subprocess.run([str(REPO / "bin" / "backup"), str(tmp_path)], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(".dump")
    assert copy.findall(cluster.primary_log())[len(before) :] == ["postgres"]
