"""Reads of the follow graph: the lists, in a fixed number of queries whatever their length."""

from django.db.models import Exists, OuterRef, Subquery

from rr.accounts.models import User
from rr.checklists.models import Checklist
from rr.common.errors import NotFound
from rr.network.models import Network

LIST_KINDS = ("following", "followers")


def user_get_active(*, username):
    """An active user by exact username (legacy names included), else 404."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def user_get_any(*, username):
    """A user by exact username whether active or not (for unfollowing), else 404."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def _latest_checklist(field, user_ref):
    return Subquery(
        Checklist.objects.filter(user=OuterRef(user_ref)).order_by("-created_at", "-id").values(field)[:1]
    )


def network_links(*, user, kind):
    """`user`'s links on one side of the graph to active users, newest first, ready for display.

    One SQL statement whatever the length: the other user is joined, and the latest
    checklist and both follow directions are correlated subqueries served by the
    (user_id, created_at) and unique-pair indexes. Ordered by link id descending
    for keyset pagination; `link.other` is the user shown.
    """
    if kind not in LIST_KINDS:
        raise ValueError(kind)
    mine, other = ("follower", "following") if kind == "following" else ("following", "follower")
    other_id = f"{other}_id"
    return (
        Network.objects.filter(**{mine: user, f"{other}__is_active": True})
        .select_related(other)
        .annotate(
            latest_score=_latest_checklist("score", other_id),
            latest_created_at=_latest_checklist("created_at", other_id),
            you_follow=Exists(Network.objects.filter(follower=user, following=OuterRef(other_id))),
            follows_you=Exists(Network.objects.filter(following=user, follower=OuterRef(other_id))),
        )
        .order_by("-id")
    )


def network_link_other(link, kind):
    return link.following if kind == "following" else link.follower


def network_user_annotated(*, user, target_id):
    """One user with the same display annotations as a list entry, as `user` sees them."""
    return (
        User.objects.annotate(
            latest_score=_latest_checklist("score", "pk"),
            latest_created_at=_latest_checklist("created_at", "pk"),
            you_follow=Exists(Network.objects.filter(follower=user, following=OuterRef("pk"))),
            follows_you=Exists(Network.objects.filter(following=user, follower=OuterRef("pk"))),
        )
        .get(pk=target_id)
    )

