"""Reads of nudges, the inbox and the list entries' streak fields."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, connections, router
from django.db.models import F
from django.utils import timezone

from rr.network import links
from rr.network.selectors import follow_requests
from rr.social import days
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


# The viewer's nudges of the last two UTC dates to the users of a page: enough to tell
# whether each was nudged on their own current day (entries_stats_read).
_NUDGED_SQL = """
    SELECT recipient_id, local_date FROM rr_nudge
    WHERE sender_id = %(nudge_sender)s AND recipient_id = ANY(%(nudge_ids)s) AND local_date >= %(nudge_since)s
"""
_SUMMARY_FIELDS = tuple(f"days_{key}" for key in days.SUMMARY_KEYS)


def entries_stats_read(*, viewer, user_ids, now=None):
    """The viewer's nudges to these users as one links.Read (sendable with others): its load
    returns the function that adds `stats` and `nudged_today` to rows of these users.

    The rows carry each user's summary of days (rr.network.selectors' days_* columns,
    days.SUMMARY_COLUMNS): the streak and strength come from it, and only a user it does
    not decide (days.summary_users_stats) costs one more query.
    """
    now = now or timezone.now()
    ids = sorted(set(user_ids))
    params = {"nudge_sender": viewer.pk, "nudge_ids": ids, "nudge_since": days.today_at(0, now) - timedelta(days=1)}

    def load(cursor):
        nudged = set(cursor.fetchall())

        def add(rows):
            summaries = {row["user_id"]: tuple(row[key] for key in _SUMMARY_FIELDS) for row in rows}
            stats = days.summary_users_stats(summaries, now=now)
            for row in rows:
                row["stats"] = stats[row["user_id"]]
                row["nudged_today"] = (row["user_id"], row["stats"].today) in nudged
            return rows

        return add

    return links.Read(_NUDGED_SQL, params, load)


def entries_stats(*, viewer, rows, now=None):
    """List entry rows (rr.network.selectors) with `stats` (rr.social.days.Stats) and `nudged_today` added.

    One statement for the whole page whatever its length (the viewer's nudges to its
    users, entries_stats_read): the streak fields come from the rows' summary columns.
    Returns the rows (dicts, changed in place).
    """
    if not rows:
        return rows
    read = entries_stats_read(viewer=viewer, user_ids=[row["user_id"] for row in rows], now=now)
    # As the list itself: a lag-tolerant read, on the replica when the router says so.
    with connections[router.db_for_read(Nudge)].cursor() as cursor:
        cursor.execute(read.sql, read.params)
        return read.load(cursor)(rows)
