"""Follow-graph actions.

The counter rule lives in the database (migration 0004's trigger): every row
inserted into or deleted from rr_network moves both users' counts in the same
transaction. These services add the lock discipline that keeps concurrent
actions deadlock-free: every transaction that touches the graph locks the user
rows involved in ascending id order before it writes.
"""

import logging

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from psycopg.errors import LockNotAvailable

from rr.accounts.models import User
from rr.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from rr.network.models import Network

logger = logging.getLogger("rr.network")

# Each failed attempt adds at least one user to the next lock set, see users_delete.
DELETE_ATTEMPTS = 20


_USERS_LOCK_SQL = "SELECT id FROM rr_user WHERE id = ANY(%s) ORDER BY id FOR {strength}{nowait}"


def _users_lock(ids, *, strength="NO KEY UPDATE", nowait=False):
    """Row-lock users in ascending id order, the one order every graph writer uses."""
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_USERS_LOCK_SQL.format(strength=strength, nowait=" NOWAIT" if nowait else ""), [sorted(ids)])


def _pair_lock_read(*, follower_id, following_id):
    """Lock both users like _users_lock and read, in the same statement, what a follow decides on.

    Returns ({user id: (is_active, allow_networking)}, whether the link exists); users
    gone are missing. One statement for the lock, the re-read of both users and the
    "already following" check. SQLite (`make run`) has no row locks and serialises
    writers: there the rows are only read.
    """
    if connection.vendor == "postgresql":
        users = "id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"
        params = [sorted([follower_id, following_id])]
    else:
        users = "id IN (%s, %s)"
        params = [follower_id, following_id]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, is_active, allow_networking,"
            " EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %s AND following_id = %s)"
            f" FROM rr_user WHERE {users}",
            [follower_id, following_id, *params],
        )
        rows = cursor.fetchall()
    return {user_id: (is_active, allow) for user_id, is_active, allow, _ in rows}, any(row[3] for row in rows)


def _link_insert(*, follower, target, created_at):
    """Insert the pair; its id, or None if it already exists.

    ON CONFLICT: the unique constraint answers "already following" without an error,
    so the caller's transaction stays usable and needs no savepoint around this. No
    conflict target: a database that lost the constraint (which `verify` reports)
    must still serve follows, not fail on the clause.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING id",
            [follower.pk, target.pk, connection.ops.adapt_datetimefield_value(created_at)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _target_refusal(*, user, target):
    if target.pk == user.pk:
        return Conflict("You cannot follow yourself.")
    if not target.allow_networking:
        return Forbidden(f"{target.username} does not allow networking.")
    return None


def _locked_refusal(fresh, *, follower, target):
    """The refusal the users' state read under the lock calls for (None if the follow may go on)."""
    if not fresh.get(follower.pk, (False, False))[0]:
        return Unauthorized("Your account is inactive or deleted.")
    is_active, allow_networking = fresh.get(target.pk, (False, False))
    if not is_active:
        return NotFound("No such user.")
    if not allow_networking:
        return Forbidden(f"{target.username} does not allow networking.")
    return None


def network_target_check(*, user, target):
    """Why `user` may not start following `target`, as the error to raise (None if they may)."""
    error = _target_refusal(user=user, target=target)
    if error is None and Network.objects.filter(follower=user, following=target).exists():
        error = Conflict(f"You already follow {target.username}.")
    return error


def network_follow(*, follower, target):
    """Make `follower` follow `target`; counts move by the trigger in the same transaction.

    Refusals come in network_target_check's order, then those of the users' state
    read under the lock. The unique (follower, following) constraint decides between
    concurrent duplicate follows: the loser gets "already following", never a second
    row. Refusals are raised after the transaction block, so they leave a caller's
    transaction (the view's) usable: no savepoint is needed.
    """
    error = _target_refusal(user=follower, target=target)
    if error is not None:
        raise error
    created_at = timezone.now()
    try:
        with transaction.atomic(savepoint=False):
            # Read under the lock: a toggle, deactivation or deletion may have just committed.
            fresh, linked = _pair_lock_read(follower_id=follower.pk, following_id=target.pk)
            if linked:
                error = Conflict(f"You already follow {target.username}.")
            else:
                error = _locked_refusal(fresh, follower=follower, target=target)
            if error is None:
                link_id = _link_insert(follower=follower, target=target, created_at=created_at)
                if link_id is None:  # committed while we waited: the check above read from before
                    error = Conflict(f"You already follow {target.username}.")
    except IntegrityError as exc:
        # Foreign keys are checked at COMMIT, which comes here only without an outer transaction:
        # a user vanished since the read (possible only on SQLite, which has no row locks).
        raise NotFound("No such user.") from exc
    if error is not None:
        raise error
    logger.info("follow", extra={"follower_id": follower.pk, "following_id": target.pk})
    link = Network(id=link_id, follower=follower, following=target, created_at=created_at)
    link._state.adding, link._state.db = False, connection.alias
    return link


# What QuerySet.delete() would send (rr_network has no cascades or signals), without its
# collector, which costs more than the statement itself.
_LINK_DELETE_SQL = "DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s"


def _link_delete(*, follower_id, following_id):
    """Delete one link, its users locked first in id order; the rows deleted (0 or 1)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LINK_DELETE_SQL, [follower_id, following_id])
            return cursor.rowcount
    # The lock and the DELETE in one round trip instead of four (BEGIN, lock, DELETE,
    # COMMIT): PostgreSQL runs a query string of several statements as one transaction
    # (or inside the caller's), so the locks are held until the DELETE is done, and each
    # statement takes its own snapshot, so the DELETE sees whatever committed while the
    # lock was awaited, as with separate statements. Needs Django's default client-side
    # binding (no `server_side_binding`), which sends such strings as one simple query.
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_USERS_LOCK_SQL.format(strength='NO KEY UPDATE', nowait='')}; {_LINK_DELETE_SQL}",
            [sorted([follower_id, following_id]), follower_id, following_id],
        )
        cursor.nextset()
        return cursor.rowcount


def network_unfollow(*, follower, target):
    """Stop following `target`. Unknown pairs are a 404, so a repeated unfollow is harmless."""
    if not _link_delete(follower_id=follower.pk, following_id=target.pk):
        raise NotFound(f"You do not follow {target.username}.")
    logger.info("unfollow", extra={"follower_id": follower.pk, "following_id": target.pk})


def network_follower_remove(*, user, follower):
    """Remove `follower` from the user's followers."""
    if not _link_delete(follower_id=follower.pk, following_id=user.pk):
        raise NotFound(f"{follower.username} does not follow you.")
    logger.info("follower removed", extra={"follower_id": follower.pk, "following_id": user.pk})


def network_links_delete(*, links):
    """Delete any set of follow rows (admin, bulk cleanup) under the graph's lock order.

    A plain queryset delete would lock the rows first and let the trigger lock their
    users row by row, in no particular order; here every user involved is locked in
    ascending id order first, like every other graph writer. Returns the rows deleted.
    """
    with transaction.atomic():
        pairs = list(links.values_list("pk", "follower_id", "following_id"))
        _users_lock({user_id for _, *ids in pairs for user_id in ids})
        deleted, _ = Network.objects.filter(pk__in=[pk for pk, *_ in pairs]).delete()
    logger.info("links deleted", extra={"links": deleted})
    return deleted


def networking_set(*, user, allow):
    """Switch networking on or off. Existing links stay; the index is hidden while off."""
    User.objects.filter(pk=user.pk).update(allow_networking=allow)
    user.allow_networking = allow
    return user


def user_deactivate(*, user):
    """Deactivate an account: it can no longer log in, be followed or appear in lists.

    Its links stay (and so do the counts, which mirror rr_network).
    """
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    return user


def _neighbour_ids(user_ids):
    following = Network.objects.filter(follower_id__in=user_ids).values_list("following_id", flat=True)
    followers = Network.objects.filter(following_id__in=user_ids).values_list("follower_id", flat=True)
    return set(following) | set(followers)


def users_delete(*, user_ids):
    """Delete users and, through Django's cascade, their checklists and links.

    Every neighbour's count moves (trigger) in the same transaction. To stay
    deadlock-free the users and all their neighbours are locked FOR UPDATE in id
    order before anything is deleted. A neighbour that appeared while we queued for
    those locks is locked NOWAIT (waiting for it out of order could close a cycle);
    if that fails the attempt rolls back and the next one locks it in order with
    the rest. The lock set only grows, so an attempt fails only when yet another
    user followed or was followed by them while we queued.
    """
    user_ids = set(user_ids)
    known = set(user_ids)
    for attempt in range(DELETE_ATTEMPTS):
        try:
            with transaction.atomic():
                known |= _neighbour_ids(user_ids)
                _users_lock(known, strength="UPDATE")
                late = _neighbour_ids(user_ids) - known
                if late:
                    known |= late
                    _users_lock(late, strength="UPDATE", nowait=True)
                for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
                    user.delete()
            logger.info("users deleted", extra={"target_user_ids": sorted(user_ids)})
            return
        except OperationalError as exc:
            if not isinstance(exc.__cause__, LockNotAvailable) or attempt == DELETE_ATTEMPTS - 1:
                raise


def user_delete(*, user):
    """Delete one user (see users_delete); a user already gone is not an error."""
    users_delete(user_ids=[user.pk])
