"""Reads of the notifications domain: the nudges and the inbox, a user's reminder, the due reminders,
a day's kept state."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

from rr.accounts.models import User
from rr.checklists import days as day_stats
from rr.network.selectors import follow_requests
from rr.notifications.models import Nudge, Reminder

DEFAULT_LOCAL_TIME = time(20, 0)
INBOX_LIMIT = 200


def nudge_inbox(*, user: User, limit: int = INBOX_LIMIT, unread_only: bool = False) -> "QuerySet[Nudge, Any]":
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
    nudges: list[dict[str, Any]]  # unread, newest first: rows of nudge_inbox
    requests: list[dict[str, Any]]  # incoming, newest first: rows of follow_requests

    @property
    def count(self) -> int:
        return self.unread_nudges + self.pending_requests


def inbox(*, user: User, items: bool = True, limit: int = INBOX_LIMIT) -> Inbox:
    """What waits for the user: unread nudges and incoming follow requests (GET /api/inbox/, the
    web app's Inbox). Without `items`, the counts alone (one query: the navigation's badge)."""
    with connection.cursor() as cursor:
        cursor.execute(_INBOX_COUNTS_SQL, {"user": user.pk})
        unread, pending = cursor.fetchone()
    nudges: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    nudges = requests = []
    if items and unread:
        nudges = list(nudge_inbox(user=user, limit=limit, unread_only=True))
    if items and pending:
        requests = list(follow_requests(user=user, direction="incoming")[:limit])
    return Inbox(unread, pending, nudges, requests)


# The due reminders: one range of the partial index rr_reminder_due_idx (only enabled
# reminders have a next_due_at), oldest first, locked for this sender; a concurrent
# sender skips them. Plan and timing on 1M users: docs/BENCHMARKS.md ("Due reminders").
DUE_SQL = """
    SELECT r.user_id, r.local_time, r.utc_offset_minutes, r.last_sent_on
    FROM rr_reminder r
    WHERE r.next_due_at <= %(now)s
    ORDER BY r.next_due_at
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
"""

# The UTC offset of each user's latest checklist (UTC for a legacy row): the last entry of
# each user's range of rr_checklist_user_days_idx, read from the index alone.
_LATEST_OFFSETS_SQL = f"""
    SELECT u.id, (
        SELECT {day_stats.OFFSET_MINUTES_SQL} FROM rr_checklist c
        WHERE c.user_id = u.id ORDER BY c.created_at DESC, c.id DESC LIMIT 1
    )
    FROM unnest(%s::bigint[]) AS u(id)
"""

# The user's checklist of one local day (the earliest, as checklist_for_day picks) and its
# regret count. created_at is within a day and a half of the local date's midnight UTC
# whatever the offset (-12:00..+14:00), which keeps it one short range of the index.
_DAY_SQL = f"""
    SELECT c.score, (SELECT count(*) FROM rr_regret r WHERE r.checklist_id = c.id)
    FROM rr_checklist c
    WHERE c.user_id = %(user)s AND c.created_at >= %(start)s AND c.created_at < %(end)s
        AND {day_stats.LOCAL_DATE_SQL} = %(day)s
    ORDER BY c.created_at, c.id
    LIMIT 1
"""


def reminders_due(*, now: datetime, batch: int) -> list[tuple[Any, ...]]:
    """Up to `batch` reminders due by `now`, row-locked (call inside a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(DUE_SQL, {"now": now, "batch": batch})
        return cursor.fetchall()


def latest_offsets(user_ids: Iterable[int]) -> dict[int, int]:
    """{user_id: UTC offset in minutes of the user's latest checklist, 0 without one}."""
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_OFFSETS_SQL, [list(user_ids)])
        return {user_id: offset or 0 for user_id, offset in cursor.fetchall()}


def day_kept(*, user_id: int, goal: Decimal, day: date) -> bool:
    """Whether the user kept local day `day` (rr/checklists/days.py Day.kept: regrets, index <= goal)."""
    midnight = datetime.combine(day, time.min, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            _DAY_SQL,
            {
                "user": user_id,
                "start": midnight - timedelta(hours=15),
                "end": midnight + timedelta(hours=37),
                "day": day,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return False
    return day_stats.Day(day, row[0], row[1], 0).kept(goal)


def reminder_get(*, user: User) -> Reminder:
    """The user's reminder; an unsaved, disabled one at DEFAULT_LOCAL_TIME if none was set."""
    return Reminder.objects.filter(user=user).first() or Reminder(
        user=user, enabled=False, local_time=DEFAULT_LOCAL_TIME
    )


def reminder_offset(*, reminder: Reminder) -> int:
    """The offset the reminder follows: its own, else the latest checklist's."""
    if reminder.utc_offset_minutes is not None:
        return reminder.utc_offset_minutes
    return latest_offsets([reminder.user_id])[reminder.user_id]
