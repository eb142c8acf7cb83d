"""The tests' share of Redis: the keys under this run's prefix, never the whole database.

testing_env sets CACHE_KEY_PREFIX to `rr_test_<random>` for every run (and the processes
it starts inherit it), so REDIS_URL may name a database that others use too: a test
deletes only keys under its cache's prefix. FLUSHDB (what Django's `cache.clear()` sends
to Redis) is never sent.
"""

import re

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def _glob_escape(text):
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


def clear_own_keys(backend=None):
    """Delete every key of `backend` (the default cache): on Redis, only those under its KEY_PREFIX.

    Other backends (local memory) belong to this process alone and are simply cleared.
    Returns how many Redis keys were deleted (None for other backends).
    """
    backend = backend or caches["default"]
    if not isinstance(backend, RedisCache):
        backend.clear()
        return None
    if not backend.key_prefix:
        raise RuntimeError("a test cache on Redis needs a KEY_PREFIX of its own (CACHE_KEY_PREFIX)")
    client = backend._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{_glob_escape(backend.key_prefix)}:*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)
