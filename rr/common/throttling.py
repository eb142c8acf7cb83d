"""Fixed-window rate limits on the shared cache, counted with atomic increments.

DRF's stock throttles read, modify and write a history list, so two processes
can both let a request through; `cache.add` + `cache.incr` cannot (Redis INCR).
If the cache is down the limit fails open: rate limiting must never turn a
healthy request into an error.
"""

import logging
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

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
            cache.add(key, 0, timeout=self.duration + 1)
            count = cache.incr(key)
        except ValueError:
            # The key expired between add and incr: this request opens a new window.
            cache.set(key, 1, timeout=self.duration + 1)
            count = 1
        except (RedisError, OSError):
            logger.warning("rate limit cache unavailable; allowing request", exc_info=True)
            return True
        self._wait = window_start + self.duration - now
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "_wait", self.duration)


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
