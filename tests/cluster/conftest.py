"""One throw-away cluster for the whole folder: a primary, a streaming replica, PgBouncer.

bin/cluster starts it on spare ports in a temporary directory (bench/cluster.py's
Cluster) and it is always torn down, also when a test fails. PgBouncer runs in
transaction mode with a pool of POOL_SIZE server connections, fewer than the clients
the tests open (8 storm threads, 6 gunicorn workers).
"""

import pytest

from bench.cluster import Cluster

POOL_SIZE = 4


@pytest.fixture(scope="session")
def cluster():
    with Cluster(pool_size=POOL_SIZE) as started:
        yield started


@pytest.fixture(scope="session")
def cluster_db(cluster):
    """The cluster's `rr` database, migrated the way the runbook says (DIRECT_DATABASE_URL)."""
    return cluster.manage("rr", "migrate", "--noinput").stdout
