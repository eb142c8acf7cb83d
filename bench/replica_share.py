"""`python -m bench.replica_share [--seconds 20] [--users 50]`: the replica's share of the
lag-tolerant reads under the cluster's mixed load, and read-your-writes checked.

One throw-away cluster (bin/cluster: primary, streaming replica, PgBouncer), two gunicorn
instances of two workers with the replica, bench/load's mix through them in turn (its
simulated users write every few seconds), every acknowledged follow read back at once
from the next instance (cluster_load's `readback`). Prints JSON: the lists, validates and
histories answered by each server, the replica's share of them, the read-backs and the
violations (a follow the list did not show), the load average. `--cache-down`: the
instances' Redis does not answer (nothing listens on port 1), so the router's rule for a
cache that cannot be read decides (rr/common/routers.py).
"""

import argparse
import json
import os

from bench.cluster import Cluster, cluster_load


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--cache-down", action="store_true", help="the instances' Redis does not answer")
    args = parser.parse_args(argv)
    extra = {"REDIS_URL": "redis://127.0.0.1:1/0"} if args.cache_down else {}
    start = os.getloadavg()
    with Cluster(pool_size=4, bench=True) as cluster:
        cluster.create_database("rr_share")
        cluster.manage("rr_share", "migrate", "--noinput")
        load = cluster_load(
            cluster, "rr_share", instances=2, workers=2, users=args.users, seconds=args.seconds, **extra
        )
    figures = {
        "routes": load["routes"],
        "replica_share": load["replica_share"],
        "list_replica_share": load["list_replica_share"],
        "readbacks": load["readbacks"],
        "read_your_writes_violations": load["read_your_writes_violations"],
        "ok": load["report"].ok,
        "problems": load["report"].problems[:5],
        "summary": load["report"].summary().splitlines()[:2],
        "unexpected": [f"{op} {status}: {body[:120]}" for op, status, body in load["report"].unexpected[:5]],
        "operations_per_second": round(load["report"].operations / load["report"].seconds, 1),
        "loadavg": {"start": start, "end": os.getloadavg()},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
