"""The follow graph's one write path: every write to `rr_network`.

Whoever creates or deletes a link comes here: the API's services, the admin, the
ORM's own `Network.objects....delete()` (rr/network/models.py), the follow requests
and blocks. Deleting users (and with them their links) is rr/common/locks.py's
users_delete, under the same lock order.

The rules kept here, each in one place:

- **Counts** are not written here: migration 0004's trigger moves both users' counts
  in the same transaction as every row inserted into or deleted from `rr_network`.
- **Lock order and transactions**: every write locks its users first with
  rr.common.locks.users_lock (ascending id order) and runs in rr.common.locks.write
  (its own transaction, retried after a lost deadlock).
- **The refusal ladder** of a follow (`follow_refusal`), read under that lock:
  self, inactive follower, gone or inactive target, networking off, already
  following. "Already following" is decided by the insert itself: it returns no
  row when the pair exists (_LINK_INSERT_SQL).

Concurrency tests: tests/concurrency/test_network_storm.py (API writes with user
deletions through the plain ORM mid-storm), tests/network/test_user_delete.py.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from rr.common import locks
from rr.common.errors import Conflict, Forbidden, NotFound, Unauthorized

logger = logging.getLogger("rr.network")


def follow_refusal(*, follower, target, users, linked=False, blocked=False):
    """The refusal of `follower` following `target`, first rung first; None if the follow may go on.

    The one ladder of the follow and of its preview (rr.network.services.network_target_check):
    `users` is {id: UserState} as read (under users_lock when following; a user
    missing is gone), `linked` whether the link exists, `blocked` whether either
    blocks the other (block_between).
    """
    if target.pk == follower.pk:
        return Conflict("You cannot follow yourself.", code="cannot_follow_self")
    me = users.get(follower.pk)
    if me is None or not me.is_active:
        return Unauthorized("Your account is inactive or deleted.", code="account_inactive")
    them = users.get(target.pk)
    # A block either way (rr_block) is never announced: as if the user did not exist.
    if them is None or not them.is_active or blocked:
        return NotFound("No such user.", code="user_not_found")
    if not them.allow_networking:
        return Forbidden(f"{target.username} does not allow networking.", code="networking_disabled")
    if linked:
        return Conflict(f"You already follow {target.username}.", code="already_following")
    return None


# "Already following" is this statement returning no row. It runs after the users' lock
# was granted, so its NOT EXISTS sees every link committed before (and no writer that
# keeps the lock order can be inserting the pair meanwhile); ON CONFLICT covers a writer
# that does not, through the unique constraint. No conflict target: a database that lost
# the constraint (which verify_deployment reports) still serves follows, one row a pair.
_LINK_INSERT_SQL = """
    INSERT INTO rr_network (follower_id, following_id, created_at)
    SELECT %(follower)s, %(following)s, %(at)s
    WHERE NOT EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %(follower)s AND following_id = %(following)s)
    ON CONFLICT DO NOTHING RETURNING id
"""


@dataclass(frozen=True)
class NewLink:
    id: int
    created_at: object
    read: object  # what link_create's `read` returned


_BLOCK_BETWEEN_SQL = (
    "SELECT EXISTS (SELECT 1 FROM rr_block WHERE (blocker_id = %s AND blocked_id = %s)"
    " OR (blocker_id = %s AND blocked_id = %s))"
)


def link_exists(follower_id, following_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %s AND following_id = %s)",
            [follower_id, following_id],
        )
        return cursor.fetchone()[0]


def block_between(a_id, b_id):
    """Whether either user blocks the other. Read under both users' lock, it stays true
    until the transaction ends: blocking and unblocking take the same lock."""
    with connection.cursor() as cursor:
        cursor.execute(_BLOCK_BETWEEN_SQL, [a_id, b_id, b_id, a_id])
        return cursor.fetchone()[0]


_LINKS_INSERT_SQL = """
    INSERT INTO rr_network (follower_id, following_id, created_at)
    SELECT pair.follower, pair.following, %s FROM unnest(%s::bigint[], %s::bigint[]) AS pair(follower, following)
    WHERE NOT EXISTS (SELECT 1 FROM rr_network n WHERE n.follower_id = pair.follower AND n.following_id = pair.following)
    ON CONFLICT DO NOTHING
"""


def links_insert(pairs, *, created_at=None):
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


def pair_unlink(a_id, b_id):
    """Delete the links between two users in both directions; how many. Callers hold users_lock on both."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rr_network WHERE (follower_id = %s AND following_id = %s)"
            " OR (follower_id = %s AND following_id = %s)",
            [a_id, b_id, b_id, a_id],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class Read:
    """A read that a follow runs under its locks, after its insert: `sql` (one statement or
    several) with the named `params`; `load(cursor)` takes its results from the cursor,
    positioned at the first, and returns what link_create hands back as NewLink.read."""

    sql: str
    params: dict
    load: Callable


# The follow in one round trip (link_create): the users' lock, then the insert if no rung
# of follow_refusal refuses it, then what the ladder needs when it did not go in, then the
# caller's read, sent as one query string like _LINK_DELETE_SQL. Each statement takes
# its own snapshot once the lock is granted, so the insert's conditions and the ladder
# see every block, link and user change committed before (their writers take the same
# lock); the insert's conditions are the ladder's rungs, so a row inserted is a follow
# the ladder allows. A target that approves followers is left to the transaction path
# when a request is to be recorded instead (its insert lives in rr.social). Measured in
# process: BEGIN, lock, block check, insert, read, COMMIT were six round trips.
_FOLLOW_SQL = f"""
    {locks.lock_sql(locks.NO_KEY_UPDATE).replace("%s", "%(follow_ids)s")};
    INSERT INTO rr_network (follower_id, following_id, created_at)
    SELECT %(follower)s, %(following)s, %(follow_at)s
    WHERE %(follower)s <> %(following)s
    AND EXISTS (SELECT 1 FROM rr_user WHERE id = %(follower)s AND is_active)
    AND EXISTS (
        SELECT 1 FROM rr_user WHERE id = %(following)s AND is_active AND allow_networking
        AND NOT (follow_approval AND %(requests)s)
    )
    AND NOT EXISTS (
        SELECT 1 FROM rr_block WHERE (blocker_id = %(follower)s AND blocked_id = %(following)s)
        OR (blocker_id = %(following)s AND blocked_id = %(follower)s)
    )
    AND NOT EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %(follower)s AND following_id = %(following)s)
    ON CONFLICT DO NOTHING RETURNING id;
    SELECT EXISTS (
        SELECT 1 FROM rr_block WHERE (blocker_id = %(follower)s AND blocked_id = %(following)s)
        OR (blocker_id = %(following)s AND blocked_id = %(follower)s)
    ), EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %(follower)s AND following_id = %(following)s)
"""


def link_create(*, follower, target, read=None, request=None):
    """Make `follower` follow `target`; a NewLink, or the ladder's refusal raised.

    Locks both users, reads their state under the lock, climbs follow_refusal, then
    inserts; an insert that returns no row means "already following" (the last
    rung), a refusal like the others, never an error or a second row.
    Hand-written rather than `Network.objects.create()`: the ORM insert cannot say
    "unless it exists" and would need a savepoint to survive the duplicate.
    `read` (a Read), if given, runs after the insert under the same locks (a response
    that a deletion of either user must wait for); NewLink.read is what it loaded.

    A block either way is a refusal (404, not announced). When the target
    has `follow_approval` on and `request` is given, `request()` runs under the same
    locks instead of the insert (it records a pending request; no link, no count) and
    its result is returned; "already following" is still refused first.

    One round trip (_FOLLOW_SQL) decides every case but that request, which then runs
    in a transaction of its own: lock, ladder, request.
    """
    created_at = timezone.now()
    params = {
        "follow_ids": sorted({follower.pk, target.pk}),
        "follower": follower.pk,
        "following": target.pk,
        "follow_at": created_at,
        "requests": request is not None,
        **(read.params if read is not None else {}),
    }

    def one_round_trip():
        with connection.cursor() as cursor:
            cursor.execute(_FOLLOW_SQL + (f"; {read.sql}" if read is not None else ""), params)
            users = {row[0]: locks.UserState(*row[1:]) for row in cursor.fetchall()}
            cursor.nextset()
            inserted = cursor.fetchone()
            cursor.nextset()
            blocked, linked = cursor.fetchone()
            if inserted is not None:
                cursor.nextset()
                return NewLink(inserted[0], created_at, read.load(cursor) if read is not None else None)
        error = follow_refusal(follower=follower, target=target, users=users, blocked=blocked)
        if error is None and linked:
            error = follow_refusal(follower=follower, target=target, users=users, linked=True)
        if error is None:
            return None  # a request to record (or a race the unique constraint settled): the transaction decides
        raise error

    def in_transaction():
        users = locks.users_lock([follower.pk, target.pk])
        blocked = block_between(follower.pk, target.pk)
        error = follow_refusal(follower=follower, target=target, users=users, blocked=blocked)
        if error is None and request is not None and users[target.pk].follow_approval:
            if not link_exists(follower.pk, target.pk):
                return request()
            error = follow_refusal(follower=follower, target=target, users=users, linked=True)
        if error is None:
            with connection.cursor() as cursor:
                cursor.execute(_LINK_INSERT_SQL, {"follower": follower.pk, "following": target.pk, "at": created_at})
                row = cursor.fetchone()
                if row is not None:
                    if read is None:
                        return NewLink(row[0], created_at, None)
                    cursor.execute(read.sql, read.params)
                    return NewLink(row[0], created_at, read.load(cursor))
            error = follow_refusal(follower=follower, target=target, users=users, linked=True)
        raise error

    new = locks.write(one_round_trip, own_transaction=False)
    return new if new is not None else locks.write(in_transaction)


# The lock and the DELETE sent as one query string: one round trip instead of four
# (BEGIN, lock, DELETE, COMMIT). PostgreSQL runs a string of several statements as one
# transaction (or inside the caller's), so the locks are held until the DELETE is done,
# and each statement takes its own snapshot, so the DELETE sees whatever committed while
# the lock was awaited. Needs Django's default client-side binding (no
# `server_side_binding`), which sends such a string as one simple query. Measured in
# process (3 alternating rounds of 1,000 link + unlink, load average 8-9): client CPU
# 0.54-0.70 ms a round against 0.90-0.99 ms for BEGIN, lock, DELETE, COMMIT; see also
# docs/BENCHMARKS.md, benchmark 3 (the unfollow's 1.5-1.6 ms).
_LINK_DELETE_SQL = (
    f"{locks.lock_sql(locks.NO_KEY_UPDATE)}; DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s"
)


def link_delete(*, follower_id, following_id):
    """Delete the link follower -> following, its users locked first; whether there was one."""

    def attempt():
        with connection.cursor() as cursor:
            cursor.execute(_LINK_DELETE_SQL, [sorted({follower_id, following_id}), follower_id, following_id])
            cursor.nextset()
            return cursor.rowcount > 0

    return locks.write(attempt, own_transaction=False)


def links_delete(queryset):
    """Delete any set of links (admin, bulk cleanup, `Network.objects....delete()`) in lock order.

    A plain queryset delete would lock the rows first and let the trigger lock their
    users row by row, in no particular order; here every user involved is locked in
    ascending id order first. Returns what QuerySet.delete() returns.
    """

    def attempt():
        pairs = list(queryset.values_list("pk", "follower_id", "following_id"))
        locks.users_lock({user_id for _, *ids in pairs for user_id in ids})
        # The rows as they are now: a link deleted while we waited is no longer counted.
        return locks.collector_delete(queryset.model._base_manager.filter(pk__in=[pk for pk, *_ in pairs]))

    deleted = locks.write(attempt)
    logger.info("links deleted", extra={"links": deleted[0]})
    return deleted
