"""Follow-graph actions: thin services over the graph's one write path (rr/network/graph.py).

Each service is one transaction of its own (rr.common.locks.write); the views call them and
open none. Counts move by migration 0004's trigger, in the same transaction.
"""

import logging

from django.db import connection, transaction

from rr.accounts.models import User
from rr.common import locks
from rr.common.errors import NotFound
from rr.network import graph, selectors
from rr.network.models import Network

logger = logging.getLogger("rr.network")


def network_target_check(*, user, target):
    """Why `user` may not start following `target`, as the error to raise (None if they may).

    A preview of network_follow: the same ladder (graph.follow_refusal), on the users
    as the request loaded them and on whether the link exists now.
    """
    users = {
        person.pk: locks.UserState(person.is_active, person.allow_networking, person.follow_approval)
        for person in (user, target)
    }
    linked = Network.objects.filter(follower=user, following=target).exists()
    blocked = graph.block_between(user.pk, target.pk)
    return graph.follow_refusal(follower=user, target=target, users=users, linked=linked, blocked=blocked)


def network_follow(*, follower, target):
    """Make `follower` follow `target`; both users' counts move (trigger) in the same transaction.

    Refusals follow graph.follow_refusal's ladder on the users' state read under the
    lock; the unique (follower, following) constraint decides between concurrent
    duplicate follows: the loser gets "already following", never a second row.
    """
    link, _ = _follow(follower=follower, target=target, read=None)
    return link


def network_follow_shown(*, follower, target):
    """network_follow, and `target` as a list entry row as `follower` now sees it.

    The row is read in the follow's transaction, under its locks: a deletion of the
    target waits until it is read, so the response never lacks the user it names.
    """
    return _follow(follower=follower, target=target, read=_shown(follower=follower, target=target))


def network_follow_or_request(*, follower, target):
    """The API's follow: (link, shown) as network_follow_shown, or (None, request) when
    `target` has follow_approval on: a pending FollowRequest instead of a link (no
    count moves), decided under the same locks as the follow. A second request
    while one is pending is a 409.
    """
    from rr.social.services import follow_request_insert  # rr.social builds on this module

    new = graph.link_create(
        follower=follower,
        target=target,
        read=_shown(follower=follower, target=target),
        request=lambda: follow_request_insert(requester=follower, target=target),
    )
    if not isinstance(new, graph.NewLink):
        logger.info("follow requested", extra={"follower_id": follower.pk, "following_id": target.pk})
        return None, new
    return _link_made(follower=follower, target=target, new=new)


def _shown(*, follower, target):
    """The followed user as a list entry (streak fields included), read in the follow's round trip."""
    from rr.social.selectors import entries_stats_read  # rr.social builds on this module

    also = entries_stats_read(viewer=follower, user_ids=[target.pk])
    return selectors.network_user_read(user=follower, target_id=target.pk, also=also)


def _follow(*, follower, target, read):
    new = graph.link_create(follower=follower, target=target, read=read)
    return _link_made(follower=follower, target=target, new=new)


def _link_made(*, follower, target, new):
    logger.info("follow", extra={"follower_id": follower.pk, "following_id": target.pk})
    link = Network(id=new.id, follower=follower, following=target, created_at=new.created_at)
    link._state.adding, link._state.db = False, connection.alias
    return link, new.read


def network_unfollow(*, follower, target):
    """Stop following `target`. Unknown pairs are a 404, so a repeated unfollow is harmless."""
    if not graph.link_delete(follower_id=follower.pk, following_id=target.pk):
        raise NotFound(f"You do not follow {target.username}.", code="not_following")
    logger.info("unfollow", extra={"follower_id": follower.pk, "following_id": target.pk})


def network_follower_remove(*, user, follower):
    """Remove `follower` from the user's followers."""
    if not graph.link_delete(follower_id=follower.pk, following_id=user.pk):
        raise NotFound(f"{follower.username} does not follow you.", code="not_a_follower")
    logger.info("follower removed", extra={"follower_id": follower.pk, "following_id": user.pk})


def network_links_delete(*, links):
    """Delete any set of follow rows (bulk cleanup) under the graph's lock order; the rows deleted."""
    deleted, _ = graph.links_delete(links)
    return deleted


def networking_set(*, user, allow):
    """Switch networking on or off. Existing links stay; the index is hidden while off.

    The UPDATE row-locks the user like locks.users_lock, so a follow reads the
    value before or after it, never in between.
    Off also rejects every pending follow request to the user, in the same transaction
    (a request being made meanwhile holds the user's lock, so it is either made before
    and rejected here, or reads networking off and is refused).
    """
    from rr.social.services import pending_reject_all  # rr.social builds on this module

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(allow_networking=allow)
        if not allow:
            pending_reject_all(user=user)
    user.allow_networking = allow
    return user
