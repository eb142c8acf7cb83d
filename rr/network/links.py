"""The follow graph's SQL: every write to `rr_network` and `rr_follow_request`.

Whoever creates or deletes a link comes here: the services (rr/network/services.py:
follows, requests, blocks), the admin and the ORM's own `Network.objects....delete()`
(rr/network/models.py). Deleting users, and with them their links, is
rr/common/locks.py's users_delete, under the same lock order.

- **Counts** are not written here: migration 0004's trigger moves both users' counts
  in the same transaction as every row inserted into or deleted from `rr_network`.
- **Lock order and transactions**: every write locks its users first
  (rr.common.locks.users_lock, ascending id order, or the same statement at the head
  of a query string) and runs in rr.common.locks.write.
- **What a follow may do** is rr/network/rules.py's: the conditional insert below takes
  its SQL form, the services its Python form.

Concurrency tests: tests/concurrency/test_network_storm.py (API writes with user
deletions through the plain ORM mid-storm), tests/network/test_user_delete.py.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.utils import timezone

from rr.accounts.selectors import USERNAME_ID_SQL
from rr.common import locks
from rr.network import rules

logger = logging.getLogger("rr.network")


@dataclass(frozen=True)
class Read:
    """A read that a follow runs under its locks, after its insert: `sql` (one statement or
    several) with the named `params`; `load(cursor)` takes its results from the cursor,
    positioned at the first, and returns what the follow hands back with the link."""

    sql: str
    params: dict[str, Any]
    load: Callable[[CursorWrapper], Any]


def _read_run(cursor: CursorWrapper, read: Read | None) -> Any:
    if read is None:
        return None
    cursor.execute(read.sql, read.params)
    return read.load(cursor)


@dataclass(frozen=True)
class FollowTrip:
    """What follow_round_trip found: the link inserted (`link_id`, `read` what the read
    loaded), or, when none was, the state the ladder decides on; and whom it followed."""

    link_id: int | None
    read: Any = None
    users: dict[int, locks.UserState] | None = None
    blocked: bool = False
    linked: bool = False
    target_id: int | None = None  # the user followed (None: no user has the name asked for)
    target_name: str | None = None  # their name as stored


_PAIR_STATE_SQL = f"SELECT {rules.BLOCKED_SQL}, {rules.LINKED_SQL}"

# A follow or an unfollow of the user a path names finds them in its own round trip: its
# lock statement finds them (rr.accounts.selectors.USERNAME_ID_SQL: user_by_username's rule,
# active or not), once, before locking them, and hands their id to the statements after it
# as a setting of this transaction only (set_config(..., true), which a multi-statement
# query string keeps to its end, or to the end of a caller's transaction): they read
# NAMED_USER_SQL, the id of the very user locked, and the name costs no round trip of its
# own. The setting is written by every run, '' (NULL) when no user has the name, so none
# is ever left over from an earlier run in the same transaction.
NAMED_USER_SQL = "NULLIF(current_setting('rr.named_user'), '')::bigint"
_NAMED_USER_FOUND = (
    f"(SELECT NULLIF(set_config('rr.named_user', COALESCE({USERNAME_ID_SQL}::text, ''), true), '')::bigint)"
)
_NAMED_USERS_LOCK_SQL = locks.lock_sql(locks.NO_KEY_UPDATE).replace("%s", f"ARRAY[%(follower)s, {_NAMED_USER_FOUND}]")


# The follow in one round trip: the users' lock, then the insert if rules.DIRECT_FOLLOW_SQL
# holds, with what the ladder needs when it did not go in, then the caller's read, sent
# as one query string like _LINK_DELETE_SQL. Each statement takes its own snapshot once
# the lock is granted, so the insert's conditions and the ladder see every block, link
# and user change committed before (their writers take the same lock). The ladder's state
# (_PAIR_STATE_SQL) comes in the insert's statement, from the insert's snapshot: the pair
# as the insert found it, never the row it made. ON CONFLICT covers a writer that does not
# keep the lock order, through the unique constraint (its row is not in that snapshot:
# the ladder lets the follow go on, and _follow_under_lock reads the pair again); no
# conflict target: a database that lost the constraint (which verify_deployment
# reports) still serves follows, one row a pair. Measured in process: BEGIN, lock,
# block check, insert, read, COMMIT were six round trips. The target is a parameter
# (`following_id`) or the user the path names (NAMED_USER_SQL), and the state statement also
# answers their id and their name as stored.
def _follow_sql(*, target: str, lock: str) -> str:
    def pair(sql: str) -> str:
        return sql.replace("%(following)s", target)

    return f"""
    {lock};
    WITH made AS (
        INSERT INTO rr_network (follower_id, following_id, created_at)
        SELECT %(follower)s, {target}, %(follow_at)s
        WHERE {pair(rules.DIRECT_FOLLOW_SQL)}
        ON CONFLICT DO NOTHING RETURNING id
    )
    SELECT (SELECT id FROM made), {pair(rules.BLOCKED_SQL)}, {pair(rules.LINKED_SQL)},
        {target}, (SELECT username FROM rr_user WHERE id = {target})
"""


_FOLLOW_SQL = _follow_sql(
    target="%(following)s", lock=locks.lock_sql(locks.NO_KEY_UPDATE).replace("%s", "%(follow_ids)s")
)
_FOLLOW_NAMED_SQL = _follow_sql(target=NAMED_USER_SQL, lock=_NAMED_USERS_LOCK_SQL)


def follow_round_trip(
    *,
    follower_id: int,
    following_id: int | None = None,
    username: str | None = None,
    created_at: datetime,
    read: Read | None = None,
) -> FollowTrip:
    """Lock both users and insert the link if the ladder lets it go straight in; a FollowTrip.

    The user followed is `following_id`, or the user called `username` (see NAMED_USER_SQL:
    a `read` of them reads NAMED_USER_SQL too). One query string, run as its own transaction
    (rr.common.locks.write with own_transaction=False). `read` (a Read), if given, runs
    after the insert under the same locks: a response that a deletion of either user must
    wait for.
    """
    if following_id is not None:
        sql = _FOLLOW_SQL
        params: dict[str, Any] = {"follow_ids": sorted({follower_id, following_id}), "following": following_id}
    else:
        sql, params = _FOLLOW_NAMED_SQL, {"username": username}
    params.update({"follower": follower_id, "follow_at": created_at, **(read.params if read is not None else {})})
    with connection.cursor() as cursor:
        cursor.execute(sql + (f"; {read.sql}" if read is not None else ""), params)
        users = {row[0]: locks.UserState(*row[1:]) for row in cursor.fetchall()}
        cursor.nextset()
        link_id, blocked, linked, target_id, target_name = cursor.fetchone()
        if link_id is not None:
            cursor.nextset()
            shown = read.load(cursor) if read is not None else None
            return FollowTrip(link_id, shown, target_id=target_id, target_name=target_name)
    return FollowTrip(None, users=users, blocked=blocked, linked=linked, target_id=target_id, target_name=target_name)


def pair_state(follower_id: int, following_id: int) -> tuple[bool, bool]:
    """(blocked, linked) of the pair, as follow_round_trip reads them: either user blocks the
    other, the link exists. Read under both users' lock, they stay so until the transaction
    ends: every writer of blocks and links takes the same lock."""
    with connection.cursor() as cursor:
        cursor.execute(_PAIR_STATE_SQL, {"follower": follower_id, "following": following_id})
        return cursor.fetchone()


def block_between(a_id: int, b_id: int) -> bool:
    """Whether either user blocks the other (rules.BLOCKED_SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rules.BLOCKED_SQL}", {"follower": a_id, "following": b_id})
        return cursor.fetchone()[0]


# "Already following" is this statement returning no row (see _FOLLOW_SQL for ON CONFLICT).
_LINK_INSERT_SQL = f"""
    INSERT INTO rr_network (follower_id, following_id, created_at)
    SELECT %(follower)s, %(following)s, %(at)s
    WHERE NOT {rules.LINKED_SQL}
    ON CONFLICT DO NOTHING RETURNING id
"""


def link_insert(
    *, follower_id: int, following_id: int, created_at: datetime, read: Read | None = None
) -> tuple[int, Any] | None:
    """Insert the link under the users' lock the caller holds; (id, what `read` loaded), or None if it exists."""
    with connection.cursor() as cursor:
        cursor.execute(_LINK_INSERT_SQL, {"follower": follower_id, "following": following_id, "at": created_at})
        row = cursor.fetchone()
        if row is None:
            return None
        return row[0], _read_run(cursor, read)


def request_insert(*, requester_id: int, target_id: int, created_at: datetime) -> int | None:
    """Record a pending follow request under the users' lock the caller holds; its id, or None if one is pending."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_follow_request (requester_id, target_id, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING id",
            [requester_id, target_id, created_at],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


_LINKS_INSERT_SQL = """
    INSERT INTO rr_network (follower_id, following_id, created_at)
    SELECT pair.follower, pair.following, %s FROM unnest(%s::bigint[], %s::bigint[]) AS pair(follower, following)
    WHERE NOT EXISTS (SELECT 1 FROM rr_network n WHERE n.follower_id = pair.follower AND n.following_id = pair.following)
    ON CONFLICT DO NOTHING
"""


def links_insert(pairs: list[tuple[int, int]], *, created_at: datetime | None = None) -> int:
    """Insert the links (follower id, following id) that do not exist yet, in one statement; how many.

    For writers that already hold users_lock on every user of `pairs` inside write()
    (accepting follow requests): the lock order is theirs to keep.
    """
    if not pairs:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _LINKS_INSERT_SQL,
            [created_at or timezone.now(), [a for a, _ in pairs], [b for _, b in pairs]],
        )
        return cursor.rowcount


def pair_unlink(a_id: int, b_id: int) -> int:
    """Delete the links between two users in both directions; how many. Callers hold users_lock on both."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rr_network WHERE (follower_id = %s AND following_id = %s)"
            " OR (follower_id = %s AND following_id = %s)",
            [a_id, b_id, b_id, a_id],
        )
        return cursor.rowcount


# The lock and the DELETE sent as one query string: one round trip instead of four
# (BEGIN, lock, DELETE, COMMIT). PostgreSQL runs a string of several statements as one
# transaction (or inside the caller's), so the locks are held until the DELETE is done,
# and each statement takes its own snapshot, so the DELETE sees whatever committed while
# the lock was awaited. Needs Django's default client-side binding (no
# `server_side_binding`), which sends such a string as one simple query. Measured in
# process, it costs the client about two thirds of the CPU of BEGIN, lock, DELETE,
# COMMIT; the unfollow's round trips are in docs/BENCHMARKS.md.
_LINK_DELETE_SQL = (
    f"{locks.lock_sql(locks.NO_KEY_UPDATE)}; DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s"
)


def link_delete(*, follower_id: int, following_id: int) -> bool:
    """Delete the link follower -> following, its users locked first; whether there was one."""

    def attempt() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(_LINK_DELETE_SQL, [sorted({follower_id, following_id}), follower_id, following_id])
            cursor.nextset()
            return cursor.rowcount > 0

    return locks.write(attempt, own_transaction=False)


# The unfollow of a user named by the path, in one round trip too (NAMED_USER_SQL): the
# users' lock, then the DELETE; the last statement answers the user's id, their name as
# stored and whether a link went, no row when there is no such user.
_LINK_DELETE_NAMED_SQL = f"""
    {_NAMED_USERS_LOCK_SQL};
    WITH gone AS (
        DELETE FROM rr_network WHERE follower_id = %(follower)s AND following_id = {NAMED_USER_SQL} RETURNING 1
    )
    SELECT id, username, EXISTS (SELECT 1 FROM gone) FROM rr_user WHERE id = {NAMED_USER_SQL}
"""


def link_delete_named(*, follower_id: int, username: str) -> tuple[int, str, bool] | None:
    """Delete the link from `follower_id` to the user called `username` (found as
    rr.accounts.selectors.user_by_username finds them, active or not), both users locked
    first; (their id, their name as stored, whether there was a link), or None if no user
    has that name."""

    def attempt() -> tuple[int, str, bool] | None:
        with connection.cursor() as cursor:
            cursor.execute(_LINK_DELETE_NAMED_SQL, {"follower": follower_id, "username": username})
            cursor.nextset()
            return cursor.fetchone()

    return locks.write(attempt, own_transaction=False)


def links_delete(queryset: QuerySet[Any]) -> tuple[int, dict[str, int]]:
    """Delete any set of links (admin, bulk cleanup, `Network.objects....delete()`) in lock order.

    A plain queryset delete would lock the rows first and let the trigger lock their
    users row by row, in no particular order; here every user involved is locked in
    ascending id order first. Returns what QuerySet.delete() returns.
    """

    def attempt() -> tuple[int, dict[str, int]]:
        pairs = list(queryset.values_list("pk", "follower_id", "following_id"))
        locks.users_lock({user_id for _, *ids in pairs for user_id in ids})
        # The rows as they are now: a link deleted while we waited is no longer counted.
        return locks.collector_delete(queryset.model._base_manager.filter(pk__in=[pk for pk, *_ in pairs]))

    deleted = locks.write(attempt)
    logger.info("links deleted", extra={"links": deleted[0]})
    return deleted
