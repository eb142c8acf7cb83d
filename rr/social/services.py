"""The social actions (docs/SOCIAL.md): nudges, daily goal, follow requests and approval, blocks."""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from rr.accounts.models import User
from rr.common import locks
from rr.common.db import advisory_xact_lock
from rr.common.errors import Conflict, Forbidden, NotFound, ServiceError, Unauthorized
from rr.network import graph
from rr.network.models import Network
from rr.notifications.services import nudge_payload, push_notify
from rr.social import days as day_stats
from rr.social.models import Block, FollowRequest, Nudge

logger = logging.getLogger("rr.social")

LOCK_NUDGE_SENDER = 3  # advisory lock namespace (rr.common.db has 1 and 2)
NUDGES_PER_DAY = 20


class TooManyNudges(ServiceError):
    status_code = 429
    default_code = "nudge_limit"


def daily_goal_set(*, user, goal):
    User.objects.filter(pk=user.pk).update(daily_goal=goal)
    user.daily_goal = goal
    return user


def nudge_send(*, sender, recipient, now=None):
    """Nudge `recipient`, whom `sender` follows and who has not kept their local day yet.

    Refusals: a block either way or an unknown user is a 404 (a block is not
    announced); not following or networking off, 403; already kept today or already
    nudged by this sender on the recipient's local day, 409; more than NUDGES_PER_DAY
    sent in the last 24 hours, 429. The sender's nudges are serialised by an advisory
    lock, so concurrent ones cannot pass the daily limit together; the unique
    (sender, recipient, local_date) decides between duplicates.
    """
    now = now or timezone.now()
    if recipient.pk == sender.pk:
        raise ServiceError("You cannot nudge yourself.", code="cannot_nudge_self")
    if graph.block_between(sender.pk, recipient.pk):
        raise NotFound("No such user.", code="user_not_found")
    if not recipient.allow_networking:
        raise Forbidden(f"{recipient.username} does not allow networking.", code="networking_disabled")
    if not Network.objects.filter(follower=sender, following=recipient).exists():
        raise Forbidden(
            f"You can only nudge someone you follow, and you do not follow {recipient.username}.",
            code="not_following",
        )
    stats = day_stats.history(user=recipient, days=1, now=now)
    today = stats.days[0]
    if today.kept(recipient.daily_goal):
        raise Conflict(f"{recipient.username} has already kept today.", code="already_kept_today")
    error = None
    with transaction.atomic():
        advisory_xact_lock(LOCK_NUDGE_SENDER, sender.pk)
        # KEY SHARE on both users: a deletion (FOR UPDATE) waits for this nudge, or this
        # nudge sees the user gone, rather than failing the foreign key at COMMIT.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT id FROM rr_user WHERE id = ANY(%s) AND is_active"
                " ORDER BY id FOR KEY SHARE) u",
                [sorted([sender.pk, recipient.pk])],
            )
            if cursor.fetchone()[0] != 2:
                raise NotFound("No such user.", code="user_not_found")
        sent = Nudge.objects.filter(sender=sender, created_at__gt=now - timedelta(days=1)).count()
        if sent >= NUDGES_PER_DAY:
            error = TooManyNudges(f"You can send at most {NUDGES_PER_DAY} nudges a day.", code="nudge_limit")
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO rr_nudge (sender_id, recipient_id, local_date, created_at)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                    [sender.pk, recipient.pk, stats.today, now],
                )
                row = cursor.fetchone()
            if row is None:
                error = Conflict(f"You already nudged {recipient.username} today.", code="already_nudged")
            else:
                # Queued with the nudge, posted once it commits (rr/notifications/services.py).
                push_notify(user_id=recipient.pk, payload=nudge_payload(sender))
    if error is not None:
        raise error
    logger.info("nudge", extra={"sender_id": sender.pk, "recipient_id": recipient.pk})
    return Nudge(id=row[0], sender=sender, recipient=recipient, local_date=stats.today, created_at=now)


def nudges_read(*, user):
    """Mark every unread nudge of the user read; how many were."""
    return Nudge.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# Follow requests and blocks: graph writes, so each runs in locks.write() under
# locks.users_lock (both users in ascending id order), like every follow and unfollow.

ACCEPT_BATCH = 500


def follow_request_insert(*, requester, target):
    """Record a pending request (inside graph.link_create, under both users' lock); 409 if one is pending."""
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_follow_request (requester_id, target_id, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING id",
            [requester.pk, target.pk, created_at],
        )
        row = cursor.fetchone()
    if row is None:
        raise Conflict(
            f"You already asked to follow {target.username}; the request is pending.", code="request_pending"
        )
    return FollowRequest(id=row[0], requester=requester, target=target, created_at=created_at)


def follow_request_accept(*, user, request_id):
    """Accept a request made to `user`: the link goes in and the request goes, in one transaction.

    Counts move by the trigger in the same transaction. Only the target may accept;
    anyone else, or a request gone meanwhile, gets 404.
    """
    requester_id = (
        FollowRequest.objects.filter(pk=request_id, target=user).values_list("requester_id", flat=True).first()
    )
    if requester_id is None:
        raise NotFound("No such follow request.", code="request_not_found")

    def attempt():
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
        graph.links_insert([(requester_id, user.pk)])
        return requester_id

    locks.write(attempt)
    logger.info("follow request accepted", extra={"follower_id": requester_id, "following_id": user.pk})
    return User.objects.filter(pk=requester_id).values_list("username", flat=True).first()


def follow_request_delete(*, user, request_id):
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


def _pending_accept_batch(user_id):
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
    graph.links_insert([(requester_id, user_id) for requester_id in accepted])
    return len(accepted), True


def follow_approval_set(*, user, on):
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


def pending_reject_all(*, user):
    """Reject every request pending for the user (networking switched off); how many."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rr_follow_request WHERE target_id = %s", [user.pk])
        return cursor.rowcount


def block_create(*, user, target):
    """Block `target`: in one transaction, under both users' lock, the block goes in and every
    link, pending request and nudge between them, in both directions, goes (counts by the trigger).
    """
    if target.pk == user.pk:
        raise ServiceError("You cannot block yourself.", code="cannot_block_self")

    def attempt():
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
            unlinked = graph.pair_unlink(user.pk, target.pk)
            pair = [user.pk, target.pk, target.pk, user.pk]
            cursor.execute(
                "DELETE FROM rr_follow_request WHERE (requester_id = %s AND target_id = %s)"
                " OR (requester_id = %s AND target_id = %s)",
                pair,
            )
            cursor.execute(
                "DELETE FROM rr_nudge WHERE (sender_id = %s AND recipient_id = %s)"
                " OR (sender_id = %s AND recipient_id = %s)",
                pair,
            )
        return row[0], unlinked

    block_id, unlinked = locks.write(attempt)
    logger.info("block", extra={"blocker_id": user.pk, "blocked_id": target.pk, "links_ended": unlinked})
    return block_id


def block_delete(*, user, target):
    """Unblock `target`; 404 if the user does not block them. Links do not come back."""
    if not Block.objects.filter(blocker=user, blocked=target)._raw_delete(connection.alias):
        raise NotFound(f"You do not block {target.username}.", code="not_blocking")
    logger.info("unblock", extra={"blocker_id": user.pk, "blocked_id": target.pk})
