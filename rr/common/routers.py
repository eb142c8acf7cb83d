"""Reads that tolerate a little lag go to the streaming replica; everything else to the primary.

Only when DATABASE_REPLICA_URL is set (the `replica` alias, config/databases.py). The
rules, with their reasons, are docs/SCALING.md's "Which reads go to the replica". A read
goes to the replica only when all of these hold:

1. it is a GET or HEAD of a view in REPLICA_READ_VIEWS, with no transaction open on the
   primary (writes, commands, the admin and migrations stay on the primary);
2. the replica has replayed the user's last write (the user: the browser's, or the one the
   bearer authentication names through acting_user): the primary's WAL position
   (primary_wal_position()) that ReplicaRoutingMiddleware keeps in the shared cache for
   READ_YOUR_WRITES_SECONDS after any write, waited for up to REPLICA_CATCH_UP_MS; with
   the cache unreachable, the primary's current position stands for it;
3. the replica answers and lags at most REPLICA_MAX_LAG_SECONDS.

The position is the flush position when commits wait for their flush, else the insert
position. The setting is read on the app's own connection, so it must hold for every
write of the app: no transaction may turn synchronous_commit off alone (SET LOCAL).
"""

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("rr.replica")

REPLICA = "replica"
PRIMARY = "default"

# View names (config/urls.py, namespace included) whose GET/HEAD may be answered from the
# replica: the network lists, validate (another user's profile: name, networking, regret
# index, streak), the history (the API's and the web page's: both read rr.checklists.days),
# and the account (one's own profile, read from the primary for READ_YOUR_WRITES_SECONDS
# after any write of one's own). Raw SQL in these views asks the router for its alias
# (rr/accounts/selectors.py, rr/checklists/days.py).
REPLICA_READ_VIEWS = frozenset({"network-list", "network-validate", "checklist-history", "web:history", "account"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHECK_SECONDS = 1.0  # how long one process trusts a replica check
RETRY_DOWN_SECONDS = 3.0  # how long it waits before trying an unavailable replica again
PIN_KEY = "rr:wrote:{}"  # the primary's WAL position (lsn()) after the user's last write
# With REPLICA_ROUTE_HEADER on (tests, benchmarks): which server answered a lag-tolerant read.
ROUTE_HEADER = "X-RR-Read-Database"

# replica lag: 0 when everything received is replayed (an idle primary sends nothing),
# otherwise the age of the last replayed commit; NULL when it cannot tell.
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
       END,
       pg_last_wal_replay_lsn()::text
"""
_REPLAY_SQL = "SELECT pg_last_wal_replay_lsn()::text"
# Past every commit acknowledged so far (see the module docstring).
_WAL_POSITION_SQL = """
SELECT CASE WHEN current_setting('synchronous_commit') = 'off' THEN pg_current_wal_insert_lsn()
            ELSE pg_current_wal_flush_lsn()
       END::text
"""
# One statement on the replica that waits for it to replay up to a position: it checks
# pg_last_wal_replay_lsn() every millisecond (pg_sleep's finest step) and answers with it
# once it has reached the position or the wait (milliseconds since the statement began)
# is over; no row if its steps ran out first. generate_series is materialized whole
# before the first check: as many rows as milliseconds of wait, not more.
_CATCH_UP_SQL = """
SELECT pg_last_wal_replay_lsn()::text
FROM generate_series(0, %(steps)s)
WHERE CASE WHEN pg_last_wal_replay_lsn() >= %(position)s::pg_lsn
             OR clock_timestamp() >= statement_timestamp() + %(wait)s * interval '1 millisecond' THEN true
           ELSE pg_sleep(0.001) IS NULL
      END
LIMIT 1
"""


def lsn(text: str | None) -> int:
    """A pg_lsn's text (`16/B374D848`) as an integer, comparable; 0 for None."""
    if not text:
        return 0
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_text(position: int) -> str:
    """An lsn() integer as a pg_lsn's text."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def primary_wal_position() -> int:
    """The primary's WAL position now, past every commit acknowledged so far, as an integer
    (one statement on the primary)."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(_WAL_POSITION_SQL)
        return lsn(cursor.fetchone()[0])


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaState:
    """This process's view of the replica: `ok`, `lagging` or `unavailable`, re-checked lazily."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: str | None = None
        self.lag: float | None = None
        self.detail = ""
        self.checked_at = float("-inf")
        self.replay_position = 0  # the replica's last known pg_last_wal_replay_lsn(), as lsn()

    def current(self, *, force: bool = False) -> tuple[str | None, float | None]:
        """(state, lag in seconds or None), checking again if the last check is too old."""
        with self._lock:
            age = time.monotonic() - self.checked_at
            stale = age >= (RETRY_DOWN_SECONDS if self.state == "unavailable" else CHECK_SECONDS)
            if force or stale or self.state is None:
                self._check()
            return self.state, self.lag

    def usable(self) -> bool:
        return self.current()[0] == "ok"

    def replayed(self, position: int) -> bool:
        """Has the replica replayed the primary's WAL up to `position` (lsn())? Asks the replica
        only when its last known replay position is behind, and then waits up to
        REPLICA_CATCH_UP_MS for it to get there (one statement, _CATCH_UP_SQL)."""
        with self._lock:
            if position <= self.replay_position:
                return True
        wait = settings.REPLICA_CATCH_UP_MS
        try:
            with connections[REPLICA].cursor() as cursor:
                if wait > 0:
                    cursor.execute(
                        _CATCH_UP_SQL, {"steps": math.ceil(wait), "position": lsn_text(position), "wait": wait}
                    )
                else:
                    cursor.execute(_REPLAY_SQL)
                row = cursor.fetchone()
        except DatabaseError:
            connections[REPLICA].close()
            return False
        now = lsn(row[0]) if row else 0
        with self._lock:
            self.replay_position = max(self.replay_position, now)
        return now >= position

    def _check(self) -> None:
        limit = settings.REPLICA_MAX_LAG_SECONDS
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(_LAG_SQL)
                in_recovery, lag, replayed = cursor.fetchone()
                self.replay_position = max(self.replay_position, lsn(replayed))
        except DatabaseError as exc:
            connections[REPLICA].close()  # a broken connection is not reused: the next check reconnects
            state, lag, detail = "unavailable", None, f"replica unavailable ({str(exc).strip()[:200]})"
        else:
            if not in_recovery:
                state, detail = "unavailable", "replica is not in recovery (promoted?): not used"
            elif lag is None or lag > limit:
                state, detail = "lagging", f"replica lags {'?' if lag is None else f'{lag:.1f}'} s (max {limit:g} s)"
            else:
                state, detail = "ok", ""
        self.checked_at = time.monotonic()
        if state != "ok":
            logger.warning(
                "%s: reads go to the primary", detail, extra={"replica_state": state, "replica_lag_seconds": lag}
            )
        elif self.state not in (None, "ok"):
            logger.warning("replica usable again (lag %.1f s): lag-tolerant reads go to it", lag or 0.0)
        self.state, self.lag, self.detail = state, lag, detail


replica_state = ReplicaState()


# A request that carries a bearer token, before the authentication has said whose it is:
# its reads go to the primary (rr.accounts.authentication names the user before the view reads).
_PENDING = -1


class _Route:
    """One request's routing: eligible for the replica or not, whose, and the alias once decided.

    `user_id` is the user whose last write a read must see (None: anonymous); `acting` the
    users the request acts for (acting_user), pinned after a write.
    """

    __slots__ = ("eligible", "user_id", "acting", "alias")

    def __init__(self) -> None:
        self.eligible = False
        self.user_id: int | None = None
        self.acting: set[int] = set()
        self.alias: str | None = None

    def read_alias(self) -> str:
        if not self.eligible:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            # Inside a transaction on the primary (verify_deployment's rolled-back checks, a
            # test case): only the primary sees its uncommitted writes.
            return PRIMARY
        if self.alias is None:
            if not replica_state.usable() or self.user_id == _PENDING:
                self.alias = PRIMARY
            elif self.user_id is not None and not _own_writes_replayed(self.user_id):
                self.alias = PRIMARY
            else:
                self.alias = REPLICA
        return self.alias


_route: ContextVar[_Route | None] = ContextVar("rr_db_route", default=None)


@contextmanager
def request_route() -> Iterator[_Route]:
    """The routing of one request, for the code it runs (ReplicaRoutingMiddleware opens it)."""
    route = _Route()
    token = _route.set(route)
    try:
        yield route
    finally:
        _route.reset(token)


def acting_user(user_id: int) -> None:
    """The request acts for this user: the one its bearer token authenticates
    (rr.accounts.authentication), or one whose new tokens it answers with (rr.accounts.tokens.mint:
    sign-up, login, refresh, recovery). That user's reads wait for their last write, and a
    write pins them. Nothing outside a request."""
    route = _route.get()
    if route is None:
        return
    route.acting.add(user_id)
    if route.user_id == _PENDING:
        route.user_id = user_id


class ReplicaRouter:
    """Reads of eligible requests to the replica (see the module docstring); the rest to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        route = _route.get()
        return route.read_alias() if route is not None else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica replays the primary; `direct` is the primary itself (migrate uses it
        # as `default`, see rr.common.db.use_direct_database).
        return db == PRIMARY


_UNKNOWN = "unknown"  # a write whose WAL position could not be read: the primary, until it expires


_cache_warned_at = float("-inf")
_cache_failed_at = float("-inf")  # when this process last failed to reach the cache


def _cache_failed() -> None:
    global _cache_warned_at, _cache_failed_at
    now = _cache_failed_at = time.monotonic()
    if now - _cache_warned_at >= CHECK_SECONDS:  # once a second: with Redis down, every request would log
        _cache_warned_at = now
        logger.warning(
            "cache unavailable: for %g s, a read goes to the replica once it has replayed the primary's position",
            settings.READ_YOUR_WRITES_SECONDS,
        )


def _cache_trusted() -> bool:
    """Whether the cache holds every recent write's position, as far as this process knows: not
    within READ_YOUR_WRITES_SECONDS of its last failure to reach it (a write meanwhile may not
    be stored, or Redis came back empty)."""
    return time.monotonic() - _cache_failed_at >= settings.READ_YOUR_WRITES_SECONDS


def _own_writes_replayed(user_id: int) -> bool:
    """Has the replica replayed this user's last write (see the module docstring)?"""
    stored = None
    if _cache_trusted():
        try:
            stored = cache.get(PIN_KEY.format(user_id))
        except Exception:
            _cache_failed()
    if not _cache_trusted():  # the primary's position now stands for the user's last write
        try:
            return replica_state.replayed(primary_wal_position())
        except DatabaseError:
            return False
    if stored is None:
        return True
    if stored == _UNKNOWN:
        return False
    return replica_state.replayed(int(stored))


def users_pin(user_ids: Iterable[int]) -> None:
    """Remember the primary's WAL position now as these users' last write, for READ_YOUR_WRITES_SECONDS."""
    if not user_ids:
        return
    try:
        position: int | str = primary_wal_position()
    except DatabaseError:
        position = _UNKNOWN
    try:
        cache.set_many(
            {PIN_KEY.format(user_id): position for user_id in user_ids}, timeout=settings.READ_YOUR_WRITES_SECONDS
        )
    except Exception:
        # Not remembered: this process's reads keep to the rule of a cache that cannot be read.
        logger.warning("cache unavailable: could not record the last write of users %s", sorted(user_ids))
        _cache_failed()


def _session_user_id(request: HttpRequest) -> int | None:
    """The browser's signed-in user (AuthenticationMiddleware's), else None."""
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _writers(request: HttpRequest, route: _Route) -> set[int]:
    """Who just wrote: the request's user (a browser's, or the one DRF authenticated), and
    the users it acted for (acting_user)."""
    user_id = _session_user_id(request)
    return route.acting | ({user_id} if user_id is not None else set())


class ReplicaRoutingMiddleware:
    """Marks eligible requests for ReplicaRouter and pins writers to the primary.

    After AuthenticationMiddleware (it reads request.user). A request that the replica
    failed mid-way (it stopped between two checks) answers 503; it is then run once more
    on the primary, which only eligible requests (GET, HEAD: no writes) can be.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        with request_route() as route:
            response = self.get_response(request)
            if route.alias == REPLICA and response.status_code == 503 and replica_state.current(force=True)[0] != "ok":
                route.alias = PRIMARY
                response = self.get_response(request)
            if request.method not in SAFE_METHODS:
                users_pin(_writers(request, route))
            if route.eligible and settings.REPLICA_ROUTE_HEADER:
                response[ROUTE_HEADER] = "replica" if route.alias == REPLICA else "primary"
            return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        route = _route.get()
        if route is not None and request.method in ("GET", "HEAD"):
            match = request.resolver_match
            if match is not None and match.view_name in REPLICA_READ_VIEWS:
                # Who asks, found before the route is eligible, so that a web session and
                # its user are read once, from the primary (the router would be re-entered
                # if the decision itself loaded them, and they would be read again). A
                # bearer token's user is named by the authentication (acting_user).
                route.user_id = _session_user_id(request)
                if route.user_id is None and request.headers.get("Authorization"):
                    route.user_id = _PENDING
                route.eligible = True
        return None
