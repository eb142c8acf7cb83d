"""Nudges, push subscriptions, queued push messages and daily reminders.

A push message is a row until a push service took it (rr/notifications/push.py): the
reminder or nudge that queued it commits with it, and a sender that dies before sending
leaves it for the next `manage.py send_reminders`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Nudge(models.Model):
    """`sender` nudged `recipient` on the recipient's local day `local_date`; once per pair and day."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges_sent", db_index=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges_received", db_index=False
    )
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rr_nudge"
        constraints = [
            models.UniqueConstraint(fields=["sender", "recipient", "local_date"], name="rr_nudge_once_a_day"),
            models.CheckConstraint(condition=~models.Q(sender=models.F("recipient")), name="rr_nudge_no_self"),
        ]
        indexes = [
            # The inbox (unread first, newest first) and the sender's daily limit.
            models.Index(fields=["recipient", "id"], name="rr_nudge_recipient_idx"),
            models.Index(fields=["sender", "created_at"], name="rr_nudge_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} nudged {self.recipient_id} on {self.local_date}"


# The foreign keys of these tables are ON DELETE CASCADE in the database (migration 0016
# adds them; db_constraint=False keeps Django from adding its own): the previous release
# deletes users with a collector that does not know these tables.


class PushSubscription(models.Model):
    """A browser's Web Push subscription (PushSubscription.toJSON()): where and how to encrypt."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions", db_constraint=False
    )
    # The push service's URL; a browser's is unique to it, so it is the subscription's identity.
    # text, not varchar(n) (squawk's prefer-text-field): the API bounds the lengths.
    endpoint = models.TextField(unique=True)
    p256dh = models.TextField()
    auth = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_push_subscription"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:60]}"


class PushMessage(models.Model):
    """One notification for one subscription, waiting for (another) attempt at `next_attempt_at`."""

    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="messages", db_constraint=False
    )
    payload = models.JSONField()
    attempts = models.SmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_push_message"
        indexes = [models.Index(fields=["next_attempt_at"], name="rr_push_message_next_idx")]

    def __str__(self) -> str:
        return f"{self.subscription_id} @ {self.next_attempt_at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """A user's daily reminder at `local_time`, sent at most once per local day.

    `next_due_at` is the next UTC instant it may be due (NULL while disabled): the one
    column the due query reads, through a partial index. `last_sent_on` is the local
    date it was last sent for; the conditional UPDATE that sets it is what makes a second
    sender find nothing to send (rr/notifications/services.py reminders_send).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder",
        db_constraint=False,
    )
    enabled = models.BooleanField(default=False)
    local_time = models.TimeField()
    # An explicit offset; NULL: the one of the user's latest checklist (UTC without one).
    utc_offset_minutes = models.SmallIntegerField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    last_sent_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_reminder"
        indexes = [
            models.Index(
                fields=["next_due_at"], name="rr_reminder_due_idx", condition=models.Q(next_due_at__isnull=False)
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(utc_offset_minutes__gte=-720, utc_offset_minutes__lte=840),
                name="rr_reminder_offset_range",
            ),
            models.CheckConstraint(
                condition=models.Q(enabled=True) | models.Q(next_due_at__isnull=True),
                name="rr_reminder_disabled_not_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.local_time} ({'on' if self.enabled else 'off'})"
