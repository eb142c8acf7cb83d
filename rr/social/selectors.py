"""Reads of nudges and the inbox."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import F

from rr.network.selectors import follow_requests
from rr.social.models import Nudge

INBOX_LIMIT = 200


def nudge_inbox(*, user, limit=INBOX_LIMIT, unread_only=False):
    """The nudges the user received from active users: unread first, then newest first."""
    nudges = Nudge.objects.filter(recipient=user, sender__is_active=True)
    if unread_only:
        nudges = nudges.filter(read_at__isnull=True)
    return (
        nudges.annotate(username=F("sender__username"))
        .order_by(F("read_at").asc(nulls_first=True), "-id")
        .values("id", "username", "local_date", "created_at", "read_at")[:limit]
    )


# What needs the user's attention: unread nudges and pending follow requests to them, from
# active users (the lists above show no others). One statement, two index ranges
# (rr_nudge_recipient_idx, rr_follow_request_target_idx).
_INBOX_COUNTS_SQL = """
    SELECT
        (SELECT count(*) FROM rr_nudge n JOIN rr_user s ON s.id = n.sender_id
         WHERE n.recipient_id = %(user)s AND n.read_at IS NULL AND s.is_active),
        (SELECT count(*) FROM rr_follow_request f JOIN rr_user r ON r.id = f.requester_id
         WHERE f.target_id = %(user)s AND r.is_active)
"""


@dataclass(frozen=True)
class Inbox:
    unread_nudges: int
    pending_requests: int
    nudges: list  # unread, newest first: rows of nudge_inbox
    requests: list  # incoming, newest first: rows of follow_requests

    @property
    def count(self):
        return self.unread_nudges + self.pending_requests


def inbox(*, user, items=True, limit=INBOX_LIMIT):
    """What waits for the user: unread nudges and incoming follow requests (GET /api/inbox/, the
    web app's Inbox). Without `items`, the counts alone (one query: the navigation's badge)."""
    with connection.cursor() as cursor:
        cursor.execute(_INBOX_COUNTS_SQL, {"user": user.pk})
        unread, pending = cursor.fetchone()
    nudges = requests = []
    if items and unread:
        nudges = list(nudge_inbox(user=user, limit=limit, unread_only=True))
    if items and pending:
        requests = list(follow_requests(user=user, direction="incoming")[:limit])
    return Inbox(unread, pending, nudges, requests)
