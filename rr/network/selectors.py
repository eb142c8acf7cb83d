"""Reads of the follow graph: the lists, in a fixed number of queries whatever their length."""

from django.db.models import Exists, F, OuterRef, Subquery

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


# What an entry shows of the other user. The selectors return values() rows, not
# model instances: a page of 1,000 entries would otherwise build 2,000 of them (links
# and users, every column included) only to read these five fields.
ENTRY_USER_FIELDS = ("username", "allow_networking", "followers_count", "following_count", "date_joined")


def _entry_annotations(user, user_ref):
    return {
        "latest_score": _latest_checklist("score", user_ref),
        "latest_created_at": _latest_checklist("created_at", user_ref),
        "you_follow": Exists(Network.objects.filter(follower=user, following=OuterRef(user_ref))),
        "follows_you": Exists(Network.objects.filter(following=user, follower=OuterRef(user_ref))),
    }


def network_links(*, user, kind):
    """`user`'s links on one side of the graph to active users, newest first, ready for display.

    One SQL statement whatever the length: the other user is joined, and the latest
    checklist and both follow directions are correlated subqueries served by the
    (user_id, created_at) and unique-pair indexes. Ordered by link id descending
    for keyset pagination. Rows are dicts: `link_id` (the keyset), `user_id` and
    ENTRY_USER_FIELDS of the user shown, and the entry annotations.
    """
    if kind not in LIST_KINDS:
        raise ValueError(kind)
    mine, other = ("follower", "following") if kind == "following" else ("following", "follower")
    other_id = f"{other}_id"
    annotations = _entry_annotations(user, other_id)
    return (
        Network.objects.filter(**{mine: user, f"{other}__is_active": True})
        .annotate(**annotations)
        .order_by("-id")
        .values(
            *annotations,
            link_id=F("id"),
            user_id=F(other_id),
            **{field: F(f"{other}__{field}") for field in ENTRY_USER_FIELDS},
        )
    )


def network_user_annotated(*, user, target_id):
    """One user as a row of network_links (without `link_id`), as `user` sees them."""
    annotations = _entry_annotations(user, "pk")
    return (
        User.objects.filter(pk=target_id)
        .annotate(**annotations)
        .values(*ENTRY_USER_FIELDS, *annotations, user_id=F("pk"))
        .get()
    )
