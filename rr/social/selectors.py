"""Reads of requests, blocks and nudges."""

from django.db import connection
from django.db.models import F

from rr.social.models import Block, FollowRequest, Nudge

INBOX_LIMIT = 200


def blocked_between(a_id, b_id):
    """Whether either user blocks the other (one query on the unique pair index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM rr_block WHERE (blocker_id = %s AND blocked_id = %s)"
            " OR (blocker_id = %s AND blocked_id = %s))",
            [a_id, b_id, b_id, a_id],
        )
        return cursor.fetchone()[0]


def follow_requests(*, user, direction):
    """The user's pending requests, newest first: rows of id, username (the other user), since."""
    if direction == "incoming":
        rows = FollowRequest.objects.filter(target=user, requester__is_active=True).annotate(
            username=F("requester__username")
        )
    elif direction == "outgoing":
        rows = FollowRequest.objects.filter(requester=user, target__is_active=True).annotate(
            username=F("target__username")
        )
    else:
        raise ValueError(direction)
    return rows.order_by("-id").values("id", "username", "created_at")


def blocks(*, user):
    """Whom the user blocks, newest first."""
    return (
        Block.objects.filter(blocker=user)
        .annotate(username=F("blocked__username"))
        .order_by("-id")
        .values("id", "username", "created_at")
    )


def nudge_inbox(*, user, limit=INBOX_LIMIT):
    """The nudges the user received from active users: unread first, then newest first."""
    return (
        Nudge.objects.filter(recipient=user, sender__is_active=True)
        .annotate(username=F("sender__username"))
        .order_by(F("read_at").asc(nulls_first=True), "-id")
        .values("id", "username", "local_date", "created_at", "read_at")[:limit]
    )
