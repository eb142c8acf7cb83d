from django.conf import settings
from django.db import models
from django.utils import timezone


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

    def __str__(self):
        return f"{self.follower_id} -> {self.following_id}"
