"""Notification actions: nudges, push subscriptions, the daily reminder, queueing and sending pushes.

A push is queued as rows of rr_push_message in the transaction of what it announces (a
reminder marked sent, a nudge) and posted after that transaction commits, by
rr/notifications/push.py. A push service's answer can delay or drop a push, never undo
the reminder or the nudge, and never fail the request that made it.
"""

import base64
import binascii
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from types import EllipsisType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection, connections, transaction
from django.utils import timezone

from rr.accounts.models import User
from rr.checklists import days as day_stats
from rr.common.db import advisory_xact_lock
from rr.common.errors import Conflict, Forbidden, NotFound, ServiceError
from rr.network import links
from rr.network.models import Network
from rr.notifications import push, selectors
from rr.notifications.models import Nudge, PushSubscription, Reminder

logger = logging.getLogger("rr.notifications")

REMINDER_PAYLOAD = {
    "kind": "reminder",
    "title": "Time to check your regrets",
    "body": "Today is not kept yet: tick off what you did.",
    "url": "/today/",
}
MIN_OFFSET, MAX_OFFSET = -12 * 60, 14 * 60
BATCH = 500


def nudge_payload(sender: User) -> dict[str, str]:
    return {"kind": "nudge", "title": f"{sender.username} nudged you", "body": "Keep today going.", "url": "/today/"}


# Nudges (docs/NETWORK.md).

LOCK_NUDGE_SENDER = 3  # advisory lock namespace (rr/common/db.py lists them all)
NUDGES_PER_DAY = 20


class TooManyNudges(ServiceError):
    status_code = 429
    default_code = "nudge_limit"


def nudge_send(*, sender: User, recipient: User, now: datetime | None = None) -> Nudge:
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
    if links.block_between(sender.pk, recipient.pk):
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
    error: ServiceError | None = None
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
                # Queued with the nudge, posted once it commits (push_notify).
                push_notify(user_id=recipient.pk, payload=nudge_payload(sender))
    if error is not None:
        raise error
    logger.info("nudge", extra={"sender_id": sender.pk, "recipient_id": recipient.pk})
    return Nudge(id=row[0], sender=sender, recipient=recipient, local_date=stats.today, created_at=now)


def nudges_read(*, user: User) -> int:
    """Mark every unread nudge of the user read; how many were."""
    return Nudge.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# Subscriptions.


def _b64url(value: str, field: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ServiceError(f"keys.{field} must be base64url.", field="keys") from exc
    if len(raw) != length:
        raise ServiceError(f"keys.{field} must encode {length} bytes.", field="keys")
    return raw


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> int:
    """Store the browser's subscription for `user`: one row per endpoint, whoever had it before.

    Idempotent: the same endpoint again updates its keys (a browser re-subscribing after
    a key change) and moves it to `user` (the last account to sign in on that browser).
    """
    push.endpoint_check(endpoint)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url(p256dh, "p256dh", 65))
    except ValueError as exc:
        raise ServiceError("keys.p256dh is not a P-256 public key.", field="keys") from exc
    _b64url(auth, "auth", 16)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_push_subscription (user_id, endpoint, p256dh, auth, created_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (endpoint) DO UPDATE"
            " SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth"
            " RETURNING id",
            [user.pk, endpoint, p256dh, auth, timezone.now()],
        )
        return cursor.fetchone()[0]


def push_unsubscribe(*, user: User, endpoint: str) -> int:
    """Forget the user's subscription at `endpoint` (and its queued messages); how many went (0 or 1)."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return min(deleted, 1)


# Queueing and sending.

_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="push")


def _deliver_in_background(ids: list[int]) -> None:
    def run() -> None:
        try:
            push.push_deliver(ids=ids)
        finally:
            connections.close_all()

    _sender.submit(run)


def push_notify(
    *, user_id: int, payload: dict[str, Any], now: datetime | None = None, after_commit: bool = True
) -> list[int]:
    """Queue `payload` for each of the user's subscriptions, due at `now`; the message ids.

    With `after_commit`, they are posted once the transaction commits, from a background
    thread of this process, so the request that called this does not wait for a push
    service; a message it did not get out (the process ended, the service asked to retry)
    stays queued for `manage.py send_reminders`, which posts its own itself.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_push_message (subscription_id, payload, attempts, next_attempt_at, created_at)"
            " SELECT id, %s::jsonb, 0, %s, %s FROM rr_push_subscription WHERE user_id = %s RETURNING id",
            [json.dumps(payload), now, now, user_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids and after_commit:
        transaction.on_commit(lambda: _deliver_in_background(ids))
    return ids


# The daily reminder.


def _at(day: date, local_time: time, offset: int) -> datetime:
    """The UTC instant of `local_time` on local date `day` at `offset` minutes."""
    return datetime.combine(day, local_time, tzinfo=UTC) - timedelta(minutes=offset)


def reminder_next_due(*, local_time: time, offset: int, last_sent_on: date | None, now: datetime) -> datetime:
    """When the reminder is next due: `local_time` of today, or of the day after the last one sent.

    Today's time may have passed already: the reminder is then due now (sent when that
    local time has passed, once per local day).
    """
    day = day_stats.today_at(offset, now)
    if last_sent_on is not None and last_sent_on >= day:
        day = last_sent_on + timedelta(days=1)
    return _at(day, local_time, offset)


def reminder_set(
    *,
    user: User,
    enabled: bool | None = None,
    local_time: time | None = None,
    utc_offset_minutes: int | None | EllipsisType = ...,
    now: datetime | None = None,
) -> Reminder:
    """Turn the user's reminder on or off, or move it; `...` leaves a field as it was.

    `utc_offset_minutes=None` makes the reminder follow the offset of the user's latest
    checklist. The reminder row is locked for the change, so a concurrent send either
    ran before (and its last_sent_on counts) or runs after on the new values.
    """
    now = now or timezone.now()
    if utc_offset_minutes is not ... and utc_offset_minutes is not None:
        if not MIN_OFFSET <= utc_offset_minutes <= MAX_OFFSET:
            raise ServiceError(
                "utc_offset_minutes must be between -720 (-12:00) and 840 (+14:00).",
                code="offset_out_of_range",
                field="utc_offset_minutes",
            )
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(user=user).first()
        if reminder is None:
            reminder = Reminder(user=user, local_time=selectors.DEFAULT_LOCAL_TIME)
        if enabled is not None:
            reminder.enabled = enabled
        if local_time is not None:
            reminder.local_time = local_time
        if utc_offset_minutes is not ...:
            reminder.utc_offset_minutes = utc_offset_minutes
        reminder.next_due_at = None
        if reminder.enabled:
            reminder.next_due_at = reminder_next_due(
                local_time=reminder.local_time,
                offset=selectors.reminder_offset(reminder=reminder),
                last_sent_on=reminder.last_sent_on,
                now=now,
            )
        reminder.updated_at = now
        reminder.save()
    return reminder


def _reminder_claim(*, now: datetime, batch: int) -> dict[str, int]:
    """One transaction: settle up to `batch` due reminders; {"sent", "kept", "moved"} counts.

    For each: its local today at its offset (its own, or the latest checklist's). Today's
    time not reached yet (the offset changed): it moves there. Today already sent for,
    or kept: it moves to tomorrow. Otherwise the conditional UPDATE of last_sent_on
    marks today sent, and its pushes are queued in the same transaction: a concurrent
    sender either skipped the row (SKIP LOCKED) or finds last_sent_on already today.
    """
    counts = {"sent": 0, "kept": 0, "moved": 0, "due": 0}
    with transaction.atomic():
        rows = selectors.reminders_due(now=now, batch=batch)
        counts["due"] = len(rows)
        if not rows:
            return counts
        users = {u.pk: u for u in User.objects.filter(pk__in=[row[0] for row in rows]).only("daily_goal", "is_active")}
        following = [row[0] for row in rows if row[2] is None]
        offsets = selectors.latest_offsets(following) if following else {}
        for user_id, local_time, own_offset, last_sent_on in rows:
            offset = own_offset if own_offset is not None else offsets[user_id]
            today = day_stats.today_at(offset, now)
            today_at = _at(today, local_time, offset)
            user = users.get(user_id)
            if (last_sent_on is not None and last_sent_on >= today) or today_at > now:
                next_due = reminder_next_due(local_time=local_time, offset=offset, last_sent_on=last_sent_on, now=now)
                counts["moved"] += 1
            elif (
                user is None
                or not user.is_active
                or selectors.day_kept(user_id=user_id, goal=user.daily_goal, day=today)
            ):
                next_due = _at(today + timedelta(days=1), local_time, offset)
                counts["kept"] += 1
            else:
                next_due = _at(today + timedelta(days=1), local_time, offset)
                marked = Reminder.objects.filter(user_id=user_id, enabled=True).exclude(last_sent_on__gte=today)
                if marked.update(last_sent_on=today, next_due_at=next_due):
                    push_notify(user_id=user_id, payload=REMINDER_PAYLOAD, now=now, after_commit=False)
                    counts["sent"] += 1
                continue
            Reminder.objects.filter(pk=user_id, enabled=True).update(next_due_at=next_due)
    return counts


def reminders_send(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, dict[str, int]]:
    """Send every reminder due by `now`, then every push message due (`manage.py send_reminders`).

    Safe to run as several copies at once: each reminder is sent at most once per local
    day (see _reminder_claim) and each message is posted by one sender (push.push_deliver).
    Returns the counts of both steps.
    """
    now = now or timezone.now()
    totals = {"sent": 0, "kept": 0, "moved": 0, "due": 0}
    while True:
        counts = _reminder_claim(now=now, batch=batch)
        for key, value in counts.items():
            totals[key] += value
        if counts["due"] < batch:
            break
    return {"reminders": totals, "pushes": push.push_deliver(now=now)}
