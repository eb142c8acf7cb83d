"""The API through PgBouncer in transaction mode, with fewer server connections than clients.

- the API's endpoint tests (every domain's) and the follow storm
  (tests/concurrency/test_network_storm.py: counts exact, no deadlock, no 5xx) run in a
  pytest of their own whose DATABASE_URL is the pooler (conftest.py's EndpointRun, in the
  background while the folder's other tests run);
- bench/load's mixed load run against two gunicorn instances at once;
- verify_deployment through the pooler, count repairs straight to the server;
- and, after all of it, nothing that went through the pooler left session state behind.
"""

import os
import re
import subprocess

import pytest

from bench.cluster import REPO, cluster_load
from bench.load.run import MIX
from tests.cluster.conftest import POOL_SIZE
from tests.cluster.session_audit import session_state, statement_count

pytestmark = pytest.mark.slow


# Session-wide: the audit below reads the endpoint run too, so it runs after the other
# modules' tests (conftest.py), and a module fixture would be made again for it.
@pytest.fixture(scope="session")
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
    # The mix, and cluster_load's read-back of every acknowledged follow (outside the mix),
    # with no read-your-writes violation.
    assert set(report.by_op) == set(MIX) | {"follow_readback"}
    assert load_run["readbacks"] > 0 and load_run["read_your_writes_violations"] == 0
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
