"""Fixed-window rate limits on the shared cache, counted with atomic increments.

DRF's stock throttles read, modify and write a history list, so two processes
can both let a request through; an atomic increment cannot. On Redis the window's
counter is incremented, and given its expiry when this made it, by one script
(_COUNT_SCRIPT: one command, one round trip); on other caches (local memory in
`make run`) with `cache.add` + `cache.incr`.
If the cache is down, the follow, list, sign-up and login-per-address limits fail
open: rate limiting must never turn a healthy request into an error. The guess
limits (attempts at a password or a recovery code) do not: they go on counting in
this process's memory (`local_windows`), so a guess is still limited, per process instead of
across them, and only for the process's lifetime (gunicorn recycles a worker every
max_requests): docs/HARDENING.md, "Redis unreachable", states the bound exactly.
"""

import hashlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from redis import Connection
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from rr.common.usernames import username_key

logger = logging.getLogger("rr.throttling")

# The guess limits count API requests (DRF's) and the web app's and the admin's (Django's).
AnyRequest = HttpRequest | Request


class AtomicRateThrottle(SimpleRateThrottle):
    # False: while the cache is down, count in this process (guesses at a secret).
    fail_open = True
    # Set by SimpleRateThrottle.__init__ from the rate (parse_rate), when there is one.
    num_requests: int
    duration: int
    scope: str

    def timer(self) -> float:
        # DRF's SimpleRateThrottle.timer is time.time bound when DRF was imported; looking
        # time up in this module at each call keeps one clock that a test may pin either by
        # replacing this method or this module's `time` (tests/network/test_rate_limits.py).
        return time.time()

    def get_rate(self) -> str | None:
        # DRF reads its class-level THROTTLE_RATES, frozen at import; reading the live
        # settings lets an environment or test override (rate None = unlimited) apply.
        try:
            # Rates are strings ("10/minute") or None; the stubs type the dict's values as numbers.
            return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        window_start = int(now // self.duration) * self.duration
        key = f"throttle:{self.scope}:{ident}:{window_start}"
        count: float  # local_windows counts to infinity when it is full
        try:
            count = _count(key, timeout=self.duration + 1)
        except (RedisError, OSError):
            if self.fail_open:
                logger.warning("rate limit cache unavailable; allowing request", exc_info=True)
                return True
            logger.warning("rate limit cache unavailable; counting in this process", exc_info=True)
            count = local_windows.incr(key, timeout=self.duration + 1)
        self._wait = window_start + self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return getattr(self, "_wait", self.duration)


# One connection of its own per cache backend and thread, made by the backend's pool (its
# address, database, password and timeouts) and kept out of it: the limiter's one command
# goes out and its reply comes back on it without redis-py's client around them (its pool's
# check-out and return, with a readiness poll, its retry wrapper, its deprecation
# wrappers), which cost most of a limited request's work beyond the ceiling's
# (docs/BENCHMARKS.md). A connection that failed is closed: the next command reconnects, so
# the limits hold again as soon as Redis is back (tests/hardening/test_redis_faults.py).
_connections: weakref.WeakKeyDictionary[RedisCache, threading.local] = weakref.WeakKeyDictionary()


def _redis_connection(backend: RedisCache, key: str) -> Connection:
    mine = _connections.get(backend)
    if mine is None:
        mine = _connections[backend] = threading.local()
    connection: Connection | None = getattr(mine, "connection", None)
    if connection is None or mine.pid != os.getpid():  # none yet, or inherited over a fork
        client = backend._cache.get_client(key, write=True)
        # The pool's connection class is Connection (redis:// URLs); typed as its interface.
        connection = mine.connection = cast(Connection, client.connection_pool.make_connection())
        mine.pid = os.getpid()
    return connection


# The window's counter, incremented and, when this created it, given its expiry, as one
# command: Redis runs a script atomically, so no request sees the counter without its
# expiry. The key, value and expiry that SET NX EX + INCR in a MULTI/EXEC pipeline wrote,
# for less client CPU (one command packed and one reply parsed, not four);
# sent whole (EVAL, not EVALSHA), so a Redis that forgot its scripts (a restart) costs no
# second round trip.
_COUNT_SCRIPT = (
    "local count = redis.call('INCR', KEYS[1]) "
    "if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return count"
)


def _count(key: str, *, timeout: int) -> int:
    """Increment the counter `key` (created for `timeout` seconds if absent); its new value."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # Django's add + incr would be three round trips (SET NX; EXISTS, INCRBY). Same
        # key and integer encoding as theirs, so processes of either kind share counters.
        redis_key = backend.make_and_validate_key(key)
        connection = _redis_connection(backend, redis_key)
        try:
            connection.send_command("EVAL", _COUNT_SCRIPT, 1, redis_key, timeout)
            return int(connection.read_response())
        except BaseException:
            connection.disconnect()  # sent or read in part: never reused mid-reply
            raise
    try:
        backend.add(key, 0, timeout=timeout)
        return backend.incr(key)
    except ValueError:
        # The key expired between add and incr: this request opens a new window.
        backend.set(key, 1, timeout=timeout)
        return 1


class UserRateThrottle(AtomicRateThrottle):
    """Per authenticated user."""

    def get_cache_key(self, request: Request, view: Any) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"


class AddressRateThrottle(AtomicRateThrottle):
    """Per client address (behind NUM_PROXIES trusted proxies)."""

    def get_cache_key(self, request: Request, view: Any) -> str:
        return f"ip:{self.get_ident(request)}"


class FollowThrottle(UserRateThrottle):
    scope = "follow"


class NetworkListThrottle(UserRateThrottle):
    scope = "network_list"


class SignupThrottle(AddressRateThrottle):
    scope = "signup"


class LoginThrottle(AddressRateThrottle):
    scope = "login"


class _LocalWindows:
    """Counters and marks in this process's memory, each with its expiry: the cache's stand-in
    for the guess limits while it is unreachable. Bounded: past MAX_KEYS live entries a new
    counter starts over its limit (the guess is refused) rather than grow without end."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, list[float]] = {}  # key -> [value, expires at (monotonic)]

    def incr(self, key: str, *, timeout: float) -> float:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[1] <= now:
                if not self._room(now):
                    return float("inf")
                entry = self._entries[key] = [0, now + timeout]
            entry[0] += 1
            return entry[0]

    def set(self, key: str, *, timeout: float) -> None:
        now = time.monotonic()
        with self._lock:
            if key in self._entries or self._room(now):
                self._entries[key] = [1, now + timeout]

    def get(self, key: str) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry[1] > time.monotonic()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _room(self, now: float) -> bool:
        if len(self._entries) >= self.MAX_KEYS:
            self._entries = {key: entry for key, entry in self._entries.items() if entry[1] > now}
        return len(self._entries) < self.MAX_KEYS


local_windows = _LocalWindows()


class GuessThrottle(AtomicRateThrottle):
    """Attempts at a secret (a password, a recovery code) under one key: an address or a name."""

    fail_open = False

    def __init__(self, scope: str, ident: str) -> None:
        self.scope = scope
        self._ident = ident
        super().__init__()

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self._ident


def _address(request: AnyRequest) -> str | None:
    # DRF's get_ident reads request.META alone, which Django's requests have too.
    return BaseThrottle().get_ident(cast(Request, request))


def _name(username: str) -> str:
    """A digest of the case-folded name: `Bob` and `bob ` share limits, any name fits a key."""
    return hashlib.sha256(username_key(username).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _allowed(request: AnyRequest, throttles: list[GuessThrottle]) -> tuple[bool, float]:
    for throttle in throttles:
        # GuessThrottle keys on its ident, never on the request or the view.
        if not throttle.allow_request(cast(Request, request), None):
            return False, throttle.wait()
    return True, 0


def guess_allowed(request: AnyRequest, scope: str, *, username: object = None) -> tuple[bool, float]:
    """Count one guess against `scope` per client address, and per username if given;
    False (and how long to wait) once a limit is over. Call before any hashing.

    For a secret only its owner can try (`current_password`, the deletion's password: the
    caller is signed in as `username`) or one too long to guess by name (a recovery code,
    per address only). Logins by name count with login_allowed instead.
    """
    idents = [f"ip:{_address(request)}"]
    if isinstance(username, str):
        idents.append(f"name:{_name(username)}")
    return _allowed(request, [GuessThrottle(scope, ident) for ident in idents])


@dataclass(frozen=True)
class LoginLimits:
    """The scopes a password login by name counts against (DEFAULT_THROTTLE_RATES)."""

    address: str  # per client address, whatever the name
    pair: str | None  # per (name, address)
    name: str  # per name from every address but those it has signed in from


LOGIN = LoginLimits(address="login_address", pair="login_name", name="login_name_ceiling")
# /admin/login/, and the API's and the web's logins to a staff account (login_staff_allowed).
ADMIN = LoginLimits(address="admin_login", pair=None, name="admin_login_ceiling")


class StaffFlagged(Protocol):
    """The user as this layer sees it (rr.accounts.models.User is one)."""

    is_staff: bool

    def get_username(self) -> str: ...


# How long a successful login keeps its address known to the account (login_succeeded).
KNOWN_ADDRESS_SECONDS = 90 * 24 * 3600


def login_allowed(request: AnyRequest, username: object, limits: LoginLimits = LOGIN) -> tuple[bool, float]:
    """Count one password login to `username`; False (and the wait) once a limit is over.

    Called before the password is hashed. The per-name ceiling, the only limit a
    stranger's guesses from other addresses reach, does not apply to an address that
    has signed in to that name before (login_succeeded): strangers cannot lock the
    owner out of a device they have used.
    """
    if not isinstance(username, str):
        return True, 0
    address, name = _address(request), _name(username)
    throttles = [GuessThrottle(limits.address, f"ip:{address}")]
    if limits.pair:
        throttles.append(GuessThrottle(limits.pair, f"name:{name}:ip:{address}"))
    if not _known(name, address):
        throttles.append(GuessThrottle(limits.name, f"name:{name}"))
    return _allowed(request, throttles)


def login_staff_allowed(request: AnyRequest, user: StaffFlagged) -> tuple[bool, float]:
    """A login to a staff account counts against the admin's limits too, wherever it comes from."""
    if not user.is_staff:
        return True, 0
    return login_allowed(request, user.get_username(), ADMIN)


def login_succeeded(request: AnyRequest, username: str) -> None:
    """Remember the client's address as one `username` signs in from (KNOWN_ADDRESS_SECONDS)."""
    key = f"known:{_name(username)}:ip:{_address(request)}"
    try:
        caches[DEFAULT_CACHE_ALIAS].set(key, 1, timeout=KNOWN_ADDRESS_SECONDS)
    except (RedisError, OSError):
        logger.warning("rate limit cache unavailable; address remembered in this process", exc_info=True)
        local_windows.set(key, timeout=KNOWN_ADDRESS_SECONDS)


def _known(name: str, address: str | None) -> bool:
    key = f"known:{name}:ip:{address}"
    try:
        return caches[DEFAULT_CACHE_ALIAS].get(key) is not None or local_windows.get(key)
    except (RedisError, OSError):
        logger.warning("rate limit cache unavailable; known addresses of this process only", exc_info=True)
        return local_windows.get(key)
