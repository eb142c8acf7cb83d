"""The lock and transaction kernel of every write that touches users and the links between them.

Used by the follow graph (rr/network/), the accounts (User.delete(),
rr/accounts/services.py) and the count repair (rr/ops/counts.py). It sits below all of
them, so it names no model: the users are `rr_user` rows and their neighbours are read
from `rr_network` by SQL (_NEIGHBOURS_SQL).

The rules kept here, each in one place:

- **Lock order** (`users_lock`): every user row a transaction will touch, in ascending
  id order, in one statement (USERS_LOCK_SQL), as migration 0004's count trigger does.
- **Transactions** (`write`): one of its own (`durable=True`) when nothing encloses it, a
  savepoint inside a caller's; a deadlock or serialization failure runs it again, at
  most WRITE_ATTEMPTS times in all.
- **Deleting users** (`users_delete`): the users and all their neighbours locked FOR
  UPDATE first, then Django's own cascade (`collector_delete`).

Why this order admits no deadlock and the deletion misses no link: docs/ARCHITECTURE.md,
"Why the concurrent writes are right". Tests: tests/common/test_locks.py, tests/network/test_user_delete.py,
tests/concurrency/test_network_storm.py, tests/concurrency/test_orm_delete_storm.py.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.db.models.deletion import Collector
from psycopg.errors import DeadlockDetected, LockNotAvailable, SerializationFailure

logger = logging.getLogger("rr.network")

T = TypeVar("T")
QuerySetT = TypeVar("QuerySetT", bound=QuerySet[Any])

# Runs in all of a write that lost a deadlock or a serialization failure. With every
# writer keeping the lock order neither should happen; the retry makes sure a client
# never sees one if something outside these modules (an operator's raw SQL) breaks it.
WRITE_ATTEMPTS = 3
# users_delete: each attempt that fails on a late neighbour adds it to the next lock set.
DELETE_ATTEMPTS = 20

NO_KEY_UPDATE = "NO KEY UPDATE"  # writers of links: blocks other writers, not foreign-key checks
UPDATE = "UPDATE"  # deletion of users: also blocks the foreign-key checks of new links to them

# The one user-row lock of the Python writers (migration 0004's trigger takes the
# same one in PL/pgSQL). One statement, so the rows are locked one after the other in id
# order. In READ COMMITTED a locked row is re-read once its lock is granted, so the
# state returned is the latest committed one: the follow's refusal ladder decides on it.
# Hand-written: the same lock through `select_for_update(no_key=True)...values_list()`
# cost about twice the client CPU a transaction (measured in process), and every follow
# takes it.
USERS_LOCK_SQL = (
    "SELECT id, is_active, allow_networking, follow_approval FROM rr_user"
    " WHERE id = ANY(%s) ORDER BY id FOR {strength}{nowait}"
)


@dataclass(frozen=True)
class UserState:
    """What a follow decides on, of one user, as USERS_LOCK_SQL reads it."""

    is_active: bool
    allow_networking: bool
    follow_approval: bool = False  # follows of this user are requests (rr_follow_request)


def lock_sql(strength: str, nowait: bool = False) -> str:
    """USERS_LOCK_SQL with its lock strength, for writers that send it inside a longer query string."""
    if strength not in (NO_KEY_UPDATE, UPDATE):
        raise ValueError(strength)
    return USERS_LOCK_SQL.format(strength=strength, nowait=" NOWAIT" if nowait else "")


def users_lock(ids: Iterable[int], *, strength: str = NO_KEY_UPDATE, nowait: bool = False) -> dict[int, UserState]:
    """Row-lock the users `ids` in ascending id order until the transaction ends; their state.

    Returns {id: UserState} of the users that exist. With `nowait`, raises
    OperationalError (LockNotAvailable) instead of waiting for a row another
    transaction holds. Call it inside a transaction: in autocommit the locks
    would end with the statement.
    """
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(lock_sql(strength, nowait), [sorted(set(ids))])
        return {row[0]: UserState(*row[1:]) for row in cursor.fetchall()}


def _lost_race(exc: BaseException) -> bool:
    """Whether a failed transaction only lost to another one and may simply run again."""
    return isinstance(exc.__cause__, DeadlockDetected | SerializationFailure)


def write(action: Callable[[], T], *, attempts: int = WRITE_ATTEMPTS, own_transaction: bool = True) -> T:
    """Run `action()` as one transaction and return what it returns.

    Outermost (nothing encloses it): `transaction.atomic(durable=True)`; inside a
    caller's transaction: a savepoint, so that a refusal or a lost race leaves the
    caller's transaction usable. A deadlock or serialization failure rolls the
    attempt back and runs it again, at most `attempts` times in all; any other
    error propagates at once. With `own_transaction=False` the action is a single
    query string that PostgreSQL runs as its own transaction (the follow graph's link_delete):
    outermost, it is sent without BEGIN and COMMIT around it.
    """
    outermost = not connection.in_atomic_block

    def once() -> T:
        if outermost and not own_transaction:
            return action()
        with transaction.atomic(durable=outermost):
            return action()

    for attempt in range(1, attempts):
        try:
            return once()
        except OperationalError as exc:
            if not _lost_race(exc):
                raise
            logger.warning("graph write lost a race, retrying", extra={"attempt": attempt, "error": str(exc.__cause__)})
    return once()


def deletable(queryset: QuerySetT) -> QuerySetT:
    """`queryset`, if QuerySet.delete() would accept it (the models' delete() call this first)."""
    if queryset.query.is_sliced:
        raise TypeError("Cannot use 'limit' or 'offset' with delete().")
    if queryset.query.distinct or queryset.query.distinct_fields:
        raise TypeError("Cannot call delete() after .distinct().")
    if queryset._fields is not None:  # type: ignore[attr-defined]  # Django's own check, as QuerySet.delete's
        raise TypeError("Cannot call delete() after .values() or .values_list()")
    return queryset


def collector_delete(queryset: QuerySet[Any]) -> tuple[int, dict[str, int]]:
    """Django's own deletion of `queryset` with its cascades; (count, {label: count})."""
    collector = Collector(using=queryset.db, origin=queryset)
    collector.collect(queryset)
    return collector.delete()


# The users linked to any of %(ids)s either way. By SQL on the follow graph's table
# (rr/network/models.py Network, db_table rr_network): this module sits below the
# graph's package and names none of its models.
_NEIGHBOURS_SQL = """
    SELECT following_id FROM rr_network WHERE follower_id = ANY(%(ids)s)
    UNION
    SELECT follower_id FROM rr_network WHERE following_id = ANY(%(ids)s)
"""


def _neighbour_ids(user_ids: Iterable[int]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(_NEIGHBOURS_SQL, {"ids": sorted(user_ids)})
        return {row[0] for row in cursor.fetchall()}


def users_delete(queryset: QuerySet[Any]) -> tuple[int, dict[str, int]]:
    """Delete the users of `queryset` with Django's cascade (checklists, links, tokens).

    Every neighbour's count moves (trigger) in the same transaction. The users and all
    their neighbours are locked FOR UPDATE in id order first, so no link to them can
    commit from then on; a neighbour that appeared meanwhile is locked NOWAIT, and on
    failure the next attempt locks it in order with the rest (docs/ARCHITECTURE.md,
    "Deleting users"). Returns what QuerySet.delete() returns; users already gone are
    not an error.
    """
    user_ids = set(queryset.values_list("pk", flat=True))
    known = set(user_ids)
    users = queryset.model._base_manager.filter(pk__in=user_ids)

    def locked_delete() -> tuple[int, dict[str, int]]:
        known.update(_neighbour_ids(user_ids))
        users_lock(known, strength=UPDATE)
        late = _neighbour_ids(user_ids) - known
        if late:
            known.update(late)
            users_lock(late, strength=UPDATE, nowait=True)
        return collector_delete(users)

    for _ in range(1, DELETE_ATTEMPTS):
        try:
            deleted = write(locked_delete)
            break
        except OperationalError as exc:
            if not isinstance(exc.__cause__, LockNotAvailable):
                raise
    else:
        deleted = write(locked_delete)
    logger.info("users deleted", extra={"target_user_ids": sorted(user_ids)})
    return deleted
