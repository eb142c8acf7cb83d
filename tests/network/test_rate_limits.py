"""Per-user rate limits of the network endpoints (rr.common.throttling on the shared cache)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from redis.connection import AbstractConnection
from rest_framework.settings import api_settings

from rr.common import throttling
from rr.network.models import Network
from tests.network.helpers import SETTINGS_URL, url
from tests.support.clients import client_for

WORKER = Path(__file__).with_name("throttle_worker.py")


class FrozenClock:
    """time.time() as seen by the throttles: 30 s into a window, until moved."""

    def __init__(self):
        import time

        self.now = (int(time.time()) // 3600) * 3600 + 30.25

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = FrozenClock()
    monkeypatch.setattr(throttling, "time", clock)
    return clock


def test_the_configured_rates_are_the_specs():
    assert api_settings.DEFAULT_THROTTLE_RATES["follow"] == "10/minute"
    assert api_settings.DEFAULT_THROTTLE_RATES["network_list"] == "60/minute"


def assert_throttled(response, retry_after):
    assert response.status_code == 429
    assert response["Retry-After"] == retry_after
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


@pytest.mark.django_db
def test_follow_unfollow_and_remove_follower_share_ten_a_minute(make_user, follow, clock):
    me, other = make_user(password=None), make_user(password=None)
    targets = [make_user(password=None) for _ in range(7)]
    fan = make_user(password=None)
    follow(fan, me)
    client = client_for(me)
    statuses = [client.post(url("follow", t.username)).status_code for t in targets[:6]]
    statuses += [client.delete(url("unfollow", t.username)).status_code for t in targets[:4]]
    assert statuses == [201] * 6 + [200] * 4

    assert_throttled(client.post(url("follow", targets[6].username)), "30")
    assert_throttled(client.delete(url("unfollow", targets[5].username)), "30")
    assert_throttled(client.delete(url("follower", fan.username)), "30")
    assert Network.objects.filter(follower=me).count() == 2
    assert client_for(other).post(url("follow", targets[6].username)).status_code == 201  # per user
    assert client.get(url("list", "following")).status_code == 200  # another budget
    assert client.get(SETTINGS_URL).status_code == 200

    clock.now += 60
    assert client.post(url("follow", targets[6].username)).status_code == 201


@pytest.mark.django_db
def test_lists_allow_sixty_a_minute(make_user, clock):
    me, other = make_user(password=None), make_user(password=None)
    client = client_for(me)
    assert [client.get(url("list", ("following", "followers")[i % 2])).status_code for i in range(60)] == [200] * 60
    clock.now += 15
    assert_throttled(client.get(url("list", "followers")), "15")
    assert client_for(other).get(url("list", "followers")).status_code == 200
    assert client.post(url("follow", other.username)).status_code == 201
    clock.now += 45
    assert client.get(url("list", "followers")).status_code == 200


@pytest.mark.django_db
def test_on_redis_each_request_costs_the_limiter_one_round_trip(make_user, monkeypatch, clock):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    me = make_user(password=None)
    targets = [make_user(password=None) for _ in range(11)]
    client = client_for(me)
    cache.get("warm_up")  # the connections' handshakes are not the limiter's
    throttling._count(f"throttle:warm_up:{os.getpid()}", timeout=5)
    sent = []
    send = AbstractConnection.send_packed_command
    monkeypatch.setattr(
        AbstractConnection, "send_packed_command", lambda conn, *a, **kw: sent.append(1) or send(conn, *a, **kw)
    )
    statuses = [client.post(url("follow", target.username)).status_code for target in targets]
    assert statuses == [201] * 10 + [429]
    assert len(sent) == 11
    window = int(clock.now // 60) * 60
    key = cache.make_and_validate_key(f"throttle:follow:user:{me.pk}:{window}")
    redis = cache._cache.get_client(key)
    assert int(redis.get(key)) == 11
    assert 0 < redis.ttl(key) <= 61


def test_on_redis_a_window_expires_from_its_first_request_only():
    # The counter gets its expiry when a request creates it; later ones leave the expiry be,
    # and read the value Django's own cache.incr would have (processes of either kind share it).
    key = f"throttle:test:{os.getpid()}:{id(object())}"
    redis_key = cache.make_and_validate_key(key)
    redis = cache._cache.get_client(redis_key, write=True)
    try:
        assert throttling._count(key, timeout=61) == 1
        assert 0 < redis.ttl(redis_key) <= 61
        redis.expire(redis_key, 5)
        assert throttling._count(key, timeout=61) == 2
        assert 0 < redis.ttl(redis_key) <= 5
        assert cache.incr(key) == 3
        redis.persist(redis_key)  # a counter without expiry (written by anything else) keeps none
        assert throttling._count(key, timeout=61) == 4
        assert redis.ttl(redis_key) == -1
    finally:
        redis.delete(redis_key)


def test_without_redis_the_limiter_counts_with_add_and_incr(settings, make_user, clock):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    me = make_user(password=None)
    targets = [make_user(password=None) for _ in range(11)]
    client = client_for(me)
    statuses = [client.post(url("follow", target.username)).status_code for target in targets]
    assert statuses == [201] * 10 + [429]
    assert_throttled(client.delete(url("unfollow", targets[0].username)), "30")
    clock.now += 60
    assert client.delete(url("unfollow", targets[0].username)).status_code == 200


def _run_workers(user, target_names, log_dir):
    """Two OS processes following as `user` at the same moment; their parsed reports."""
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1"}
    halves = [target_names[0::2], target_names[1::2]]
    logs = [(log_dir / f"worker{i}-{user.pk}.log").open("w+") for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(user.pk), *half],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        for half, log in zip(halves, logs)
    ]
    try:
        for worker, log in zip(workers, logs):
            if worker.stdout.readline().strip() != "ready":
                worker.wait(30)
                log.seek(0)
                pytest.fail(f"a worker process failed to start:\n{log.read()[-3000:]}")
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = [json.loads(worker.stdout.readline()) for worker in workers]
        for worker in workers:
            assert worker.wait(30) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        for log in logs:
            log.close()
    return reports


def _test_database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_two_processes(make_user, tmp_path):
    assert os.environ.get("REDIS_URL"), "REDIS_URL must be set: make test runs this against Redis"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    targets = [make_user(password=None).username for _ in range(16)]
    for attempt in range(2):  # noqa: B007 -- reported after the loop
        me = make_user(password=None)
        reports = _run_workers(me, targets, tmp_path)
        windows = {window for report in reports for window in report["windows"]}
        if len(windows) == 1:
            break
        # The minute turned during the run: both windows counted. The next try starts fresh.
    else:
        pytest.fail("the rate window turned during both attempts")
    statuses = [result["status"] for report in reports for result in report["results"]]
    print(f"\ncross-process follows: {sorted(statuses)} (attempt {attempt + 1})")
    assert all(report["results"] for report in reports)
    assert statuses.count(201) == 10
    assert statuses.count(429) == 6
    # Each process counted through the one-round-trip path (one script), not add + incr.
    assert [report["redis_round_trips"] for report in reports] == [len(report["results"]) for report in reports]
    assert all(
        result["retry_after"] and 1 <= int(result["retry_after"]) <= 60
        for report in reports
        for result in report["results"]
        if result["status"] == 429
    )
    assert Network.objects.filter(follower=me).count() == 10
