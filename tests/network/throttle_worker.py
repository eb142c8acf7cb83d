"""One OS process of the cross-process rate-limit test (see test_rate_limits.py).

Usage: python throttle_worker.py <user id> <target username>...
Prints "ready", waits for a line on stdin, POSTs a follow of every target as the
user, then prints one JSON line: the statuses, the rate window (minute) seen
before the first and after the last request, and the round trips made to Redis
meanwhile (what the limiter costs: one per request).
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from urllib.parse import quote  # noqa: E402

from django.core.cache import cache  # noqa: E402
from redis.connection import AbstractConnection  # noqa: E402

from rr.accounts.models import User  # noqa: E402
from rr.common import throttling  # noqa: E402
from tests.support.clients import client_for  # noqa: E402


def count_round_trips():
    """Count every command (or pipeline) sent to Redis from now on; returns the running tally."""
    sent = {"round_trips": 0}
    send = AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):
        sent["round_trips"] += 1
        return send(self, *args, **kwargs)

    AbstractConnection.send_packed_command = counted
    return sent


def main(user_id, targets):
    user = User.objects.get(pk=user_id)
    client = client_for(user)
    cache.get("throttle_worker_warm_up")  # both connect now: their handshakes are not the limiter's
    throttling._count(f"throttle_worker_warm_up:{os.getpid()}", timeout=5)
    sent = count_round_trips()
    print("ready", flush=True)
    sys.stdin.readline()
    first_window = int(time.time() // 60)
    results = []
    for target in targets:
        response = client.post(f"/api/network/follow/{quote(target, safe='')}/")
        results.append({"status": response.status_code, "retry_after": response.get("Retry-After")})
    last_window = int(time.time() // 60)
    report = {"results": results, "windows": [first_window, last_window], "redis_round_trips": sent["round_trips"]}
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
