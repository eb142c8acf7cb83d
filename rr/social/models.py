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


class UserDays(models.Model):
    """One user's days in a few columns, kept exact by the database (migration 0013's triggers).

    Read by the network lists and the history instead of the user's whole history
    (rr/social/days.py, which also computes the same fields from the raw days: the
    tests compare both). A row exists for every user with a checklist once
    `manage.py initialize_user_days` has run; a user without a row is read from the raw
    days. Only the database writes these rows: rr_user_days_refresh() recomputes them
    from rr_checklist and rr_regret whenever a write changes a day's keeping.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        # The database deletes the row with its user (ON DELETE CASCADE, migration 0013):
        # the previous release, which knows nothing of this table, deletes users too.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="days_summary",
    )
    # The user's first and latest local dates with a checklist, and the UTC offset of
    # the latest one (0 for a legacy row): the user's "today" (days.today_at).
    first_date = models.DateField(null=True)
    last_date = models.DateField(null=True)
    last_offset = models.SmallIntegerField(null=True)
    # The latest kept day and the length of the run of kept days ending there.
    kept_last = models.DateField(null=True)
    kept_run = models.IntegerField(default=0)
    longest = models.IntegerField(default=0)
    # sum of m ** (kept_last - d) over the kept days d (days.STRENGTH_MULTIPLIER).
    strength_sum = models.FloatField(default=0)

    class Meta:
        db_table = "rr_user_days"

    def __str__(self):
        return f"{self.user_id}: days {self.first_date}..{self.last_date}"
