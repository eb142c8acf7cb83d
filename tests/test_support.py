"""The shared test support can fail: a hung or failing thread fails the run, and the
cache clean-up leaves other people's Redis keys alone."""

import threading
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from tests.support.cache import clear_own_keys
from tests.support.threads import ThreadsHung, api_calls_at_once, barrier, in_thread, joined, run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_thread_failing_before_the_barrier_fails_the_others_at_once():
    start = barrier(3, timeout=120)

    def work(i):
        if i == 0:
            raise ValueError("failed before the barrier")
        start.wait()

    began = time.monotonic()
    errors = run_threads(3, work, barriers=[start])

    assert time.monotonic() - began < 30  # not the barrier's 120 s
    assert sorted(type(error).__name__ for error in errors) == [
        "BrokenBarrierError",
        "BrokenBarrierError",
        "ValueError",
    ]


def test_a_hung_thread_fails_the_run_instead_of_hanging_it():
    release = threading.Event()
    try:
        with pytest.raises(ThreadsHung):
            run_threads(2, lambda i: release.wait(60) if i else None, timeout=0.5)
        thread, outcome = in_thread(lambda: release.wait(60))
        with pytest.raises(ThreadsHung):
            joined(thread, outcome, timeout=0.2)
    finally:
        release.set()


def test_a_call_that_raises_fails_the_calls_at_once():
    with pytest.raises(AttributeError):
        api_calls_at_once([("token", "no_such_method", "/", None), ("token", "get", "/health/", None)])


def test_clearing_the_cache_deletes_this_runs_keys_only():
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.fail("REDIS_URL must be set: make test runs this against Redis")
    client = backend._cache.get_client(write=True)
    someone_elses = f"not_{backend.key_prefix}:1:data"
    client.set(someone_elses, "keep me", ex=60)
    backend.set("ours", "drop me", 60)
    try:
        assert clear_own_keys() >= 1
        assert backend.get("ours") is None
        assert client.get(someone_elses) == b"keep me"
    finally:
        client.delete(someone_elses)
