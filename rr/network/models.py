"""The follow graph's rows: links, pending follow requests and blocks (docs/NETWORK.md).

Only a link moves counts (migration 0004's trigger on `rr_network`): a pending request
or a block never does.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rr.common import locks
from rr.network import links


class NetworkQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete in the follow graph's lock order (rr/network/links.py); counts move by the trigger."""
        return links.links_delete(locks.deletable(self))

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class Network(models.Model):
    """`follower` follows `following`.

    Invariants held by the database, not by Python: a pair exists once, nobody
    follows themselves, and every insert or delete adjusts both users' counts
    through the triggers installed by migration 0004.
    """

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="following_links",
        db_index=False,
    )
    following = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follower_links",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        db_table = "rr_network"
        constraints = [
            models.UniqueConstraint(fields=["follower", "following"], name="rr_network_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("following")), name="rr_network_no_self_follow"
            ),
        ]
        # Lists page newest first by id, on either side of the pair.
        indexes = [
            models.Index(fields=["follower", "id"], name="rr_network_follower_idx"),
            models.Index(fields=["following", "id"], name="rr_network_following_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.following_id}"

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Delete in the follow graph's lock order, like the queryset's delete()."""
        if self.pk is None:
            raise ValueError(f"{self._meta.object_name} object can't be deleted because its id is None.")
        deleted = links.links_delete(type(self)._base_manager.filter(pk=self.pk))
        self.pk = None
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]


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

    def __str__(self) -> str:
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

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
