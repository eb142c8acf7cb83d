"""The follow graph's actions: follows, follow requests, blocks, networking settings (docs/NETWORK.md).

Each service is one transaction of its own (rr.common.locks.write), its users locked
first in id order (rr.common.locks.users_lock); the views call them and open none.
The rows are written by rr/network/links.py; what a follow may do is
rr/network/rules.py's. Counts move by migration 0004's trigger, in the same transaction.
"""

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.common import locks
from rr.common.errors import Conflict, NotFound, ServiceError, Unauthorized
from rr.network import links, rules, selectors
from rr.network.models import Block, FollowRequest, Network

logger = logging.getLogger("rr.network")


def network_target_check(*, user: User, target: User) -> ServiceError | None:
    """Why `user` may not start following `target`, as the error to raise (None if they may).

    A preview of network_follow: the same ladder (rules.follow_refusal), on the users
    as the request loaded them and on whether the link exists now.
    """
    users = {
        person.pk: locks.UserState(person.is_active, person.allow_networking, person.follow_approval)
        for person in (user, target)
    }
    linked = Network.objects.filter(follower=user, following=target).exists()
    blocked = links.block_between(user.pk, target.pk)
    return rules.follow_refusal(follower=user, target=target, users=users, linked=linked, blocked=blocked)


def network_follow(*, follower: User, target: User) -> Network | FollowRequest:
    """Follow `target`, or ask to: the one decision of a follow (Mastodon's FollowService).

    Returns the Network link made (both users' counts move, by the trigger, in the same
    transaction), or the FollowRequest recorded when `target` has follow_approval on
    (no link, no count; a second request while one is pending is a 409). Refusals are
    rr/network/rules.py's ladder, on the users' state read under their lock; the unique
    (follower, following) constraint decides between concurrent duplicate follows: the
    loser gets "already following", never a second row.
    """
    created_at = timezone.now()
    trip = locks.write(
        lambda: links.follow_round_trip(follower_id=follower.pk, following_id=target.pk, created_at=created_at),
        own_transaction=False,
    )
    made, _ = _settled(follower=follower, target=target, trip=trip, at=created_at, read=None)
    if isinstance(made, FollowRequest):
        return made
    link = Network(id=made, follower=follower, following=target, created_at=created_at)
    link._state.adding, link._state.db = False, connection.alias
    return link


def network_follow_named(*, follower: User, username: str) -> tuple[str, int | FollowRequest, Any]:
    """network_follow of the active user called `username` (found as rr.accounts.selectors.
    user_by_username finds them) in the follow's own round trip (links.NAMED_USER_SQL), for
    the API's answer: (their name as stored, the link's id, them as a list entry as
    `follower` now sees them), or (their name, the FollowRequest, None) for a request. No
    such active user is a 404 (user_not_found) before any rung of the ladder, as when the
    user was looked up first.

    The entry is read in the follow's transaction, under its locks: a deletion of the
    target waits until it is read, so the response never lacks the user it names.
    """
    read = selectors.network_user_read(user=follower, target_id=None)
    at = timezone.now()
    trip = locks.write(
        lambda: links.follow_round_trip(follower_id=follower.pk, username=username, created_at=at, read=read),
        own_transaction=False,
    )
    if trip.link_id is None:
        state = None if trip.target_id is None else (trip.users or {}).get(trip.target_id)
        if state is None or not state.is_active:
            raise NotFound("No such user.", code="user_not_found")
    target = User(id=trip.target_id, username=cast(str, trip.target_name))  # the user found (a link went to them)
    # Past its round trip the name's setting is gone: a transaction of its own reads them by id.
    again = None if trip.link_id is not None else selectors.network_user_read(user=follower, target_id=target.pk)
    return target.username, *_settled(follower=follower, target=target, trip=trip, at=at, read=again)


def _settled(
    *, follower: User, target: User, trip: links.FollowTrip, at: datetime, read: links.Read | None
) -> tuple[int | FollowRequest, Any]:
    """(the link's id, what the read loaded) or (FollowRequest, None) from what a follow's
    round trip (links.follow_round_trip) left; the ladder's refusal raised.

    The round trip makes every direct follow and refuses what the ladder refuses; only a
    request (or a race the unique constraint settled) takes a transaction of its own: lock,
    ladder, insert, `read` read there."""
    if trip.link_id is not None:
        _link_made(follower=follower, target=target)
        return trip.link_id, trip.read
    rules.follow_decision(
        follower=follower,
        target=target,
        users=trip.users,  # type: ignore[arg-type]  # set when no link was inserted
        linked=trip.linked,
        blocked=trip.blocked,
    )
    return locks.write(lambda: _follow_under_lock(follower=follower, target=target, at=at, read=read))


def _follow_under_lock(
    *, follower: User, target: User, at: datetime, read: links.Read | None
) -> tuple[int | FollowRequest, Any]:
    users = locks.users_lock([follower.pk, target.pk])
    blocked, linked = links.pair_state(follower.pk, target.pk)
    decision = rules.follow_decision(follower=follower, target=target, users=users, linked=linked, blocked=blocked)
    if decision == rules.REQUEST:
        request_id = links.request_insert(requester_id=follower.pk, target_id=target.pk, created_at=at)
        if request_id is None:
            raise Conflict(
                f"You already asked to follow {target.username}; the request is pending.", code="request_pending"
            )
        logger.info("follow requested", extra={"follower_id": follower.pk, "following_id": target.pk})
        return FollowRequest(id=request_id, requester=follower, target=target, created_at=at), None
    inserted = links.link_insert(follower_id=follower.pk, following_id=target.pk, created_at=at, read=read)
    if inserted is None:
        raise rules.follow_refusal(follower=follower, target=target, users=users, linked=True)  # type: ignore[misc]  # linked: never None
    link_id, shown = inserted
    _link_made(follower=follower, target=target)
    return link_id, shown


def _link_made(*, follower: User, target: User) -> None:
    logger.info("follow", extra={"follower_id": follower.pk, "following_id": target.pk})


def network_unfollow(*, follower: User, target: User) -> None:
    """Stop following `target`. Unknown pairs are a 404, so a repeated unfollow is harmless."""
    gone = links.link_delete(follower_id=follower.pk, following_id=target.pk)
    _unfollowed(follower=follower, target_id=target.pk, name=target.username, gone=gone)


def network_unfollow_named(*, follower: User, username: str) -> str:
    """network_unfollow of the user called `username`, found (as rr.accounts.selectors.
    user_by_username finds them, inactive users too) in the unfollow's own round trip
    (links.link_delete_named); their name as stored. No such user is a 404 (user_not_found)."""
    found = links.link_delete_named(follower_id=follower.pk, username=username)
    if found is None:
        raise NotFound("No such user.", code="user_not_found")
    target_id, name, gone = found
    _unfollowed(follower=follower, target_id=target_id, name=name, gone=gone)
    return name


def _unfollowed(*, follower: User, target_id: int, name: str, gone: bool) -> None:
    """An unfollow's outcome: 404 not_following when no link went, else its log line."""
    if not gone:
        raise NotFound(f"You do not follow {name}.", code="not_following")
    logger.info("unfollow", extra={"follower_id": follower.pk, "following_id": target_id})


def network_follower_remove(*, user: User, follower: User) -> None:
    """Remove `follower` from the user's followers."""
    if not links.link_delete(follower_id=follower.pk, following_id=user.pk):
        raise NotFound(f"{follower.username} does not follow you.", code="not_a_follower")
    logger.info("follower removed", extra={"follower_id": follower.pk, "following_id": user.pk})


def network_links_delete(*, links: QuerySet[Network]) -> int:
    """Delete any set of follow rows (bulk cleanup) under the graph's lock order; the rows deleted.

    `links` is a Network queryset: its delete() is rr.network.links.links_delete.
    """
    deleted, _ = links.delete()
    return deleted


def networking_set(*, user: User, allow: bool) -> User:
    """Switch networking on or off. Existing links stay; the index is hidden while off.

    The UPDATE row-locks the user like locks.users_lock, so a follow reads the
    value before or after it, never in between.
    Off also rejects every pending follow request to the user, in the same transaction
    (a request being made meanwhile holds the user's lock, so it is either made before
    and rejected here, or reads networking off and is refused).
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(allow_networking=allow)
        if not allow:
            pending_reject_all(user=user)
    user.allow_networking = allow
    return user


def settings_update(
    *,
    user: User,
    allow_networking: bool | None = None,
    follow_approval: bool | None = None,
    daily_goal: Decimal | None = None,
) -> int:
    """Apply the settings given (None: unchanged), always in one order: the daily goal, then
    networking, then follow approval; how many pending requests turning approval off accepted.

    The order is the one PATCH /api/network/settings/ and the web app's settings page
    share: networking off rejects what is pending before approval off could accept it.
    """
    if daily_goal is not None:
        checklist_services.daily_goal_set(user=user, goal=daily_goal)
    if allow_networking is not None:
        networking_set(user=user, allow=allow_networking)
    if follow_approval is None:
        return 0
    return follow_approval_set(user=user, on=follow_approval)


# Follow requests and blocks: graph writes, so each runs in locks.write() under
# locks.users_lock (both users in ascending id order), like every follow and unfollow.

ACCEPT_BATCH = 500


def follow_request_accept(*, user: User, request_id: int) -> str | None:
    """Accept a request made to `user`: the link goes in and the request goes, in one transaction.

    Counts move by the trigger in the same transaction. Only the target may accept;
    anyone else, or a request gone meanwhile, gets 404.
    """
    requester_id = (
        FollowRequest.objects.filter(pk=request_id, target=user).values_list("requester_id", flat=True).first()
    )
    if requester_id is None:
        raise NotFound("No such follow request.", code="request_not_found")

    def attempt() -> int:
        users = locks.users_lock([requester_id, user.pk])
        if user.pk not in users or not users[user.pk].is_active:
            raise Unauthorized("Your account is inactive or deleted.", code="account_inactive")
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM rr_follow_request WHERE id = %s AND target_id = %s RETURNING requester_id",
                [request_id, user.pk],
            )
            if cursor.fetchone() is None:
                raise NotFound("No such follow request.", code="request_not_found")
        links.links_insert([(requester_id, user.pk)])
        return requester_id

    locks.write(attempt)
    logger.info("follow request accepted", extra={"follower_id": requester_id, "following_id": user.pk})
    return User.objects.filter(pk=requester_id).values_list("username", flat=True).first()


def follow_request_delete(*, user: User, request_id: int) -> tuple[str, str | None]:
    """Reject (the target) or cancel (the requester) a pending request; which it was, and the other's name."""
    found = (
        FollowRequest.objects.filter(Q(target=user) | Q(requester=user), pk=request_id)
        .values_list("requester_id", "requester__username", "target__username")
        .first()
    )
    if found is None or not FollowRequest.objects.filter(pk=request_id)._raw_delete(connection.alias):
        raise NotFound("No such follow request.", code="request_not_found")
    requester_id, requester_name, target_name = found
    if requester_id == user.pk:
        return "cancelled", target_name
    return "rejected", requester_name


def _pending_accept_batch(user_id: int) -> tuple[int, bool]:
    """Accept up to ACCEPT_BATCH requests pending for `user_id`; (accepted, whether to go on)."""
    requester_ids = list(
        FollowRequest.objects.filter(target_id=user_id)
        .order_by("requester_id")
        .values_list("requester_id", flat=True)[:ACCEPT_BATCH]
    )
    if not requester_ids:
        return 0, False
    users = locks.users_lock([*requester_ids, user_id])
    me = users.get(user_id)
    if me is None or me.follow_approval or not me.allow_networking:
        return 0, False  # approval back on, networking off (which rejects) or gone: stop
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rr_follow_request WHERE target_id = %s AND requester_id = ANY(%s) RETURNING requester_id",
            [user_id, requester_ids],
        )
        accepted = [row[0] for row in cursor.fetchall()]
    links.links_insert([(requester_id, user_id) for requester_id in accepted])
    return len(accepted), True


def follow_approval_set(*, user: User, on: bool) -> int:
    """Switch follow approval. Off accepts every pending request, in batches of ACCEPT_BATCH.

    The switch commits first, so a follow from then on makes a link directly; each
    batch then locks its requesters and the user in id order, deletes their requests
    and inserts their links in one transaction (counts exact by the trigger).
    Returns how many requests were accepted.
    """
    User.objects.filter(pk=user.pk).update(follow_approval=on)
    user.follow_approval = on
    accepted = 0
    while not on:
        done, more = locks.write(lambda: _pending_accept_batch(user.pk))
        accepted += done
        if not more:
            break
    if accepted:
        logger.info("follow requests accepted", extra={"following_id": user.pk, "accepted": accepted})
    return accepted


def pending_reject_all(*, user: User) -> int:
    """Reject every request pending for the user (networking switched off); how many."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rr_follow_request WHERE target_id = %s", [user.pk])
        return cursor.rowcount


def block_create(*, user: User, target: User) -> int:
    """Block `target`: in one transaction, under both users' lock, the block goes in and every
    link, pending request and nudge between them, in both directions, goes (counts by the trigger).
    """
    if target.pk == user.pk:
        raise ServiceError("You cannot block yourself.", code="cannot_block_self")

    def attempt() -> tuple[int, int]:
        users = locks.users_lock([user.pk, target.pk])
        if user.pk not in users or not users[user.pk].is_active:
            raise Unauthorized("Your account is inactive or deleted.", code="account_inactive")
        if target.pk not in users or not users[target.pk].is_active:
            raise NotFound("No such user.", code="user_not_found")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO rr_block (blocker_id, blocked_id, created_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING RETURNING id",
                [user.pk, target.pk, timezone.now()],
            )
            row = cursor.fetchone()
            if row is None:
                raise Conflict(f"You already block {target.username}.", code="already_blocking")
            unlinked = links.pair_unlink(user.pk, target.pk)
            pair = [user.pk, target.pk, target.pk, user.pk]
            cursor.execute(
                "DELETE FROM rr_follow_request WHERE (requester_id = %s AND target_id = %s)"
                " OR (requester_id = %s AND target_id = %s)",
                pair,
            )
            # rr_nudge: the nudges between them (a package above this one: its table, not its model).
            cursor.execute(
                "DELETE FROM rr_nudge WHERE (sender_id = %s AND recipient_id = %s)"
                " OR (sender_id = %s AND recipient_id = %s)",
                pair,
            )
        return row[0], unlinked

    block_id, unlinked = locks.write(attempt)
    logger.info("block", extra={"blocker_id": user.pk, "blocked_id": target.pk, "links_ended": unlinked})
    return block_id


def block_delete(*, user: User, target: User) -> None:
    """Unblock `target`; 404 if the user does not block them. Links do not come back."""
    if not Block.objects.filter(blocker=user, blocked=target)._raw_delete(connection.alias):
        raise NotFound(f"You do not block {target.username}.", code="not_blocking")
    logger.info("unblock", extra={"blocker_id": user.pk, "blocked_id": target.pk})
