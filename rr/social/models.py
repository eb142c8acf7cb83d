"""The network's second layer: follow requests, blocks and nudges (issue 12).

None of these rows is a link: counts mirror `rr_network` only (migration 0004's
trigger), so a pending request or a block never moves a count.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class FollowRequest(models.Model):
    """`requester` asked to follow `target`, who has `follow_approval` on; pending until answered.

    Accepting turns it into a link and deletes it in the same transaction; rejecting or
    cancelling deletes it. So every row is pending.
    """

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_requests_sent", db_index=False
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_requests_received", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_follow_request"
        constraints = [
            models.UniqueConstraint(fields=["requester", "target"], name="rr_follow_request_unique_pair"),
            models.CheckConstraint(condition=~models.Q(requester=models.F("target")), name="rr_follow_request_no_self"),
        ]
        # The unique pair serves "outgoing" (requester first); this one serves "incoming".
        indexes = [models.Index(fields=["target", "id"], name="rr_follow_request_target_idx")]

    def __str__(self):
        return f"{self.requester_id} -> {self.target_id} (pending)"


class Block(models.Model):
    """`blocker` blocked `blocked`: no link or request between them in either direction while it stands."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made", db_index=False
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_block"
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="rr_block_unique_pair"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="rr_block_no_self"),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="rr_block_blocked_idx")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


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
