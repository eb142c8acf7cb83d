"""The follow graph's one write path: every write to `rr_network` and every lock on the users it joins.

Whoever creates or deletes a link, or deletes a user (and with it the user's links),
comes here: the API's services, the accounts services, the admin, the ORM's own
`User.delete()`, `User.objects....delete()` and `Network.objects....delete()`
(rr/accounts/models.py, rr/network/models.py), the count repair (rr/ops/counts.py).

The rules kept here, each in one place:

- **Counts** are not written here: migration 0004's trigger moves both users' counts
  in the same transaction as every row inserted into or deleted from `rr_network`.
- **Lock order** (`users_lock`): a transaction that writes the graph first locks
  every user row it will touch, in ascending id order, with one statement
  (USERS_LOCK_SQL). The trigger takes the same locks in the same order, so it
  never waits on a row once the writer holds them, and no two writers wait on
  each other crosswise.
- **The refusal ladder** of a follow (`follow_refusal`), read under that lock:
  self, inactive follower, gone or inactive target, networking off, already
  following. "Already following" is decided by the insert itself: it returns no
  row when the pair exists (_LINK_INSERT_SQL).
- **Transactions** (`write`): each graph write is one transaction of its own,
  `durable=True` when nothing encloses it (the API), a savepoint inside a
  caller's (the admin's delete view, verify_deployment's rolled-back check). A
  write that loses a deadlock or a serialization failure is run again, at most
  WRITE_ATTEMPTS times in all, so that a request never answers 5xx for it.

Concurrency tests: tests/concurrency/test_network_storm.py (API writes with user
deletions through the plain ORM mid-storm), tests/network/test_user_delete.py.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import OperationalError, connection, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from psycopg.errors import DeadlockDetected, LockNotAvailable, SerializationFailure

from rr.common.errors import Conflict, Forbidden, NotFound, Unauthorized

logger = logging.getLogger("rr.network")

# Runs in all of a write that lost a deadlock or a serialization failure. With every
# writer keeping the lock order neither should happen; the retry makes sure a client
# never sees one if something outside this module (an operator's raw SQL) breaks it.
WRITE_ATTEMPTS = 3
# users_delete: each attempt that fails on a late neighbour adds it to the next lock set.
DELETE_ATTEMPTS = 20

NO_KEY_UPDATE = "NO KEY UPDATE"  # writers of links: blocks other writers, not foreign-key checks
UPDATE = "UPDATE"  # deletion of users: also blocks the foreign-key checks of new links to them

# The one user-row lock of the graph's Python writers (migration 0004's trigger takes the
# same one in PL/pgSQL). One statement, so the rows are locked one after the other in id
# order. In READ COMMITTED a locked row is re-read once its lock is granted, so the
# state returned is the latest committed one: the refusal ladder decides on it.
# Hand-written: the same lock through `select_for_update(no_key=True)...values_list()`
# cost 0.94-1.00 ms of client CPU a transaction against 0.42-0.56 ms (in process, 3
# alternating rounds of 1,000, load average 8-9), and every follow takes it.
USERS_LOCK_SQL = (
    "SELECT id, is_active, allow_networking, follow_approval FROM rr_user"
    " WHERE id = ANY(%s) ORDER BY id FOR {strength}{nowait}"
)


@dataclass(frozen=True)
class UserState:
    """What a follow decides on, of one user."""

    is_active: bool
    allow_networking: bool
    follow_approval: bool = False  # follows of this user are requests (rr_follow_request)


def _lock_sql(strength, nowait):
    if strength not in (NO_KEY_UPDATE, UPDATE):
        raise ValueError(strength)
    return USERS_LOCK_SQL.format(strength=strength, nowait=" NOWAIT" if nowait else "")


def users_lock(ids, *, strength=NO_KEY_UPDATE, nowait=False):
    """Row-lock the users `ids` in ascending id order until the transaction ends; their state.

    Returns {id: UserState} of the users that exist. With `nowait`, raises
    OperationalError (LockNotAvailable) instead of waiting for a row another
    transaction holds. Call it inside a transaction: in autocommit the locks
    would end with the statement.
    """
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(strength, nowait), [sorted(set(ids))])
        return {row[0]: UserState(*row[1:]) for row in cursor.fetchall()}


def _lost_race(exc):
    """Whether a failed transaction only lost to another one and may simply run again."""
    return isinstance(exc.__cause__, DeadlockDetected | SerializationFailure)


def write(action, *, attempts=WRITE_ATTEMPTS, own_transaction=True):
    """Run `action()` as one graph transaction and return what it returns.

    Outermost (nothing encloses it): `transaction.atomic(durable=True)`; inside a
    caller's transaction: a savepoint, so that a refusal or a lost race leaves the
    caller's transaction usable. A deadlock or serialization failure rolls the
    attempt back and runs it again, at most `attempts` times in all; any other
    error propagates at once. With `own_transaction=False` the action is a single
    query string that PostgreSQL runs as its own transaction (see link_delete):
    outermost, it is sent without BEGIN and COMMIT around it.
    """
    outermost = not connection.in_atomic_block

    def once():
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
    {_lock_sql(NO_KEY_UPDATE, False).replace("%s", "%(follow_ids)s")};
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
            users = {row[0]: UserState(*row[1:]) for row in cursor.fetchall()}
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
        users = users_lock([follower.pk, target.pk])
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

    new = write(one_round_trip, own_transaction=False)
    return new if new is not None else write(in_transaction)


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
    f"{_lock_sql(NO_KEY_UPDATE, False)}; DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s"
)


def link_delete(*, follower_id, following_id):
    """Delete the link follower -> following, its users locked first; whether there was one."""

    def attempt():
        with connection.cursor() as cursor:
            cursor.execute(_LINK_DELETE_SQL, [sorted({follower_id, following_id}), follower_id, following_id])
            cursor.nextset()
            return cursor.rowcount > 0

    return write(attempt, own_transaction=False)


def links_delete(queryset):
    """Delete any set of links (admin, bulk cleanup, `Network.objects....delete()`) in lock order.

    A plain queryset delete would lock the rows first and let the trigger lock their
    users row by row, in no particular order; here every user involved is locked in
    ascending id order first. Returns what QuerySet.delete() returns.
    """

    def attempt():
        pairs = list(queryset.values_list("pk", "follower_id", "following_id"))
        users_lock({user_id for _, *ids in pairs for user_id in ids})
        # The rows as they are now: a link deleted while we waited is no longer counted.
        return _collector_delete(queryset.model._base_manager.filter(pk__in=[pk for pk, *_ in pairs]))

    deleted = write(attempt)
    logger.info("links deleted", extra={"links": deleted[0]})
    return deleted


def deletable(queryset):
    """`queryset`, if QuerySet.delete() would accept it (the models' delete() call this first)."""
    if queryset.query.is_sliced:
        raise TypeError("Cannot use 'limit' or 'offset' with delete().")
    if queryset.query.distinct or queryset.query.distinct_fields:
        raise TypeError("Cannot call delete() after .distinct().")
    if queryset._fields is not None:
        raise TypeError("Cannot call delete() after .values() or .values_list()")
    return queryset


def _collector_delete(queryset):
    """Django's own deletion of `queryset` with its cascades; (count, {label: count})."""
    collector = Collector(using=queryset.db, origin=queryset)
    collector.collect(queryset)
    return collector.delete()


def _neighbour_ids(network, user_ids):
    following = network.objects.filter(follower_id__in=user_ids).values_list("following_id", flat=True)
    followers = network.objects.filter(following_id__in=user_ids).values_list("follower_id", flat=True)
    return set(following) | set(followers)


def users_delete(queryset):
    """Delete the users of `queryset` with Django's cascade (checklists, links, tokens).

    Every neighbour's count moves (trigger) in the same transaction. The users and all
    their neighbours are locked FOR UPDATE in id order before anything is deleted: a
    follow locks its users first (FOR NO KEY UPDATE, which FOR UPDATE excludes), and
    any other insert's foreign-key check (deferred to its COMMIT) waits for the lock
    too, so no link to them can commit from then on and the cascade collects every
    link there is. A neighbour that
    appeared while we queued for those locks is locked NOWAIT (waiting for it out of
    order could close a cycle); if that fails the attempt rolls back and the next one
    locks it in order with the rest. The lock set only grows, so an attempt fails
    only when yet another user linked to them while we queued. Returns what
    QuerySet.delete() returns; users already gone are not an error.
    """
    # By name: the models import this module for their delete() (no import cycle).
    network = apps.get_model("rr", "Network")
    user_ids = set(queryset.values_list("pk", flat=True))
    known = set(user_ids)
    users = queryset.model._base_manager.filter(pk__in=user_ids)

    def locked_delete():
        known.update(_neighbour_ids(network, user_ids))
        users_lock(known, strength=UPDATE)
        late = _neighbour_ids(network, user_ids) - known
        if late:
            known.update(late)
            users_lock(late, strength=UPDATE, nowait=True)
        return _collector_delete(users)

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
