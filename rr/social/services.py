"""The social actions (docs/SOCIAL.md): nudges."""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from rr.checklists import days as day_stats
from rr.common.db import advisory_xact_lock
from rr.common.errors import Conflict, Forbidden, NotFound, ServiceError
from rr.network import links
from rr.network.models import Network
from rr.notifications.services import nudge_payload, push_notify
from rr.social.models import Nudge

logger = logging.getLogger("rr.social")

LOCK_NUDGE_SENDER = 3  # advisory lock namespace (rr.common.db has 1 and 2)
NUDGES_PER_DAY = 20


class TooManyNudges(ServiceError):
    status_code = 429
    default_code = "nudge_limit"


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
