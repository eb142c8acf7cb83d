"""Nudges and each user's summary of days (docs/SOCIAL.md).

A nudge is no link: counts mirror `rr_network` only (migration 0004's trigger).
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

    def __str__(self):
        return f"{self.sender_id} nudged {self.recipient_id} on {self.local_date}"
