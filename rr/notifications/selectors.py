"""Reads of the notifications domain: a user's reminder, the due reminders, a day's kept state."""

from datetime import UTC, datetime, time, timedelta

from django.db import connection

from rr.checklists import days as day_stats
from rr.notifications.models import Reminder

DEFAULT_LOCAL_TIME = time(20, 0)

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


def reminders_due(*, now, batch):
    """Up to `batch` reminders due by `now`, row-locked (call inside a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(DUE_SQL, {"now": now, "batch": batch})
        return cursor.fetchall()


def latest_offsets(user_ids):
    """{user_id: UTC offset in minutes of the user's latest checklist, 0 without one}."""
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_OFFSETS_SQL, [list(user_ids)])
        return {user_id: offset or 0 for user_id, offset in cursor.fetchall()}


def day_kept(*, user_id, goal, day):
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


def reminder_get(*, user):
    """The user's reminder; an unsaved, disabled one at DEFAULT_LOCAL_TIME if none was set."""
    return Reminder.objects.filter(user=user).first() or Reminder(
        user=user, enabled=False, local_time=DEFAULT_LOCAL_TIME
    )


def reminder_offset(*, reminder):
    """The offset the reminder follows: its own, else the latest checklist's."""
    if reminder.utc_offset_minutes is not None:
        return reminder.utc_offset_minutes
    return latest_offsets([reminder.user_id])[reminder.user_id]
