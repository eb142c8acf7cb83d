"""Fixed-window rate limits on the shared cache, counted with atomic increments.

DRF's stock throttles read, modify and write a history list, so two processes
can both let a request through; an atomic increment cannot. On Redis the window's
counter is created and incremented in one MULTI/EXEC round trip (SET NX EX, INCR);
on other caches (local memory in `make run`) with `cache.add` + `cache.incr`.
If the cache is down the limit fails open: rate limiting must never turn a
healthy request into an error.
"""

import hashlib
import logging
import time
import weakref

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger("rr.throttling")


class AtomicRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # DRF reads its class-level THROTTLE_RATES, frozen at import; reading the live
        # settings lets an environment or test override (rate None = unlimited) apply.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window_start = int(now // self.duration) * self.duration
        key = f"throttle:{self.scope}:{ident}:{window_start}"
        try:
            count = _count(key, timeout=self.duration + 1)
        except (RedisError, OSError):
            logger.warning("rate limit cache unavailable; allowing request", exc_info=True)
            return True
        self._wait = window_start + self.duration - now
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "_wait", self.duration)


# One redis-py client per cache backend: Django builds a new one for every call, which
# costs a third of what the limiter does. A client is thread-safe and only wraps the
# backend's connection pool; writes all go to its first server, whatever the key.
_redis_clients = weakref.WeakKeyDictionary()


def _redis_client(backend, key):
    client = _redis_clients.get(backend)
    if client is None:
        client = _redis_clients[backend] = backend._cache.get_client(key, write=True)
    return client


def _count(key, *, timeout):
    """Increment the counter `key` (created at 0 for `timeout` seconds if absent); its new value."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # Django's add + incr would be three round trips (SET NX; EXISTS, INCRBY). Same
        # key and integer encoding as theirs, so processes of either kind share counters.
        redis_key = backend.make_and_validate_key(key)
        with _redis_client(backend, redis_key).pipeline(transaction=True) as pipe:
            pipe.set(redis_key, 0, ex=timeout, nx=True)
            pipe.incr(redis_key)
            return pipe.execute()[1]
    try:
        backend.add(key, 0, timeout=timeout)
        return backend.incr(key)
    except ValueError:
        # The key expired between add and incr: this request opens a new window.
        backend.set(key, 1, timeout=timeout)
        return 1


class UserRateThrottle(AtomicRateThrottle):
    """Per authenticated user."""

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"


class AddressRateThrottle(AtomicRateThrottle):
    """Per client address (behind NUM_PROXIES trusted proxies)."""

    def get_cache_key(self, request, view):
        return f"ip:{self.get_ident(request)}"


class FollowThrottle(UserRateThrottle):
    scope = "follow"


class NetworkListThrottle(UserRateThrottle):
    scope = "network_list"


class SignupThrottle(AddressRateThrottle):
    scope = "signup"


class LoginThrottle(AddressRateThrottle):
    scope = "login"


class GuessThrottle(AtomicRateThrottle):
    """Attempts at a secret (a password, a recovery code) under one key: an address or a name."""

    def __init__(self, scope, ident):
        self.scope = scope
        self._ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        return self._ident


def guess_throttles(request, scope, *, username=None):
    """The limits one guess counts against: per client address, and per username if given.

    Names are keyed by a digest of their case-folded form, so `Bob` and `bob ` share a
    limit and any name fits in a cache key.
    """
    from rr.accounts.services import username_key  # accounts imports this module

    idents = [f"ip:{BaseThrottle().get_ident(request)}"]
    if isinstance(username, str):
        digest = hashlib.sha256(username_key(username).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        idents.append(f"name:{digest}")
    return [GuessThrottle(scope, ident) for ident in idents]


def guess_allowed(request, scope, *, username=None):
    """Count one guess; False (and how long to wait) once a limit is over. Call before any hashing."""
    for throttle in guess_throttles(request, scope, username=username):
        if not throttle.allow_request(request, None):
            return False, throttle.wait()
    return True, 0
