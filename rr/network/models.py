from django.conf import settings
from django.db import models
from django.utils import timezone

from rr.common import locks
from rr.network import graph


class NetworkQuerySet(models.QuerySet):
    def delete(self):
        """Delete in the follow graph's lock order (rr/network/graph.py); counts move by the trigger."""
        return graph.links_delete(locks.deletable(self))

    delete.alters_data = True
    delete.queryset_only = True


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

    def __str__(self):
        return f"{self.follower_id} -> {self.following_id}"

    def delete(self, using=None, keep_parents=False):
        """Delete in the follow graph's lock order, like the queryset's delete()."""
        if self.pk is None:
            raise ValueError(f"{self._meta.object_name} object can't be deleted because its id is None.")
        deleted = graph.links_delete(type(self)._base_manager.filter(pk=self.pk))
        self.pk = None
        return deleted

    delete.alters_data = True
