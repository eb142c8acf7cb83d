"""Reads of the follow graph: the lists, in a fixed number of queries whatever their length."""

from django.db import connection
from django.db.models import Exists, F, OuterRef, Subquery

from rr.accounts.selectors import user_by_username
from rr.checklists.models import Checklist
from rr.checklists.services import checklist_latest_bound
from rr.common.errors import NotFound
from rr.network.models import Network

LIST_KINDS = ("following", "followers")


def user_get_active(*, username):
    """An active user by username (exact, else a unique case-insensitive match), else 404."""
    return user_by_username(username=username, active_only=True)


def user_get_any(*, username):
    """A user by username whether active or not (for unfollowing), else 404."""
    return user_by_username(username=username)


def _latest_checklist(field, user_ref):
    # Never a checklist in the future (legacy rows may hold some): its score would be forged.
    checklists = Checklist.objects.filter(user=OuterRef(user_ref), created_at__lte=checklist_latest_bound())
    return Subquery(checklists.order_by("-created_at", "-id").values(field)[:1])


# What an entry shows of the other user. The selectors return values() rows, not
# model instances: a page of 1,000 entries would otherwise build 2,000 of them (links
# and users, every column included) only to read these five fields.
ENTRY_USER_FIELDS = (
    "username",
    "allow_networking",
    "follow_approval",
    "followers_count",
    "following_count",
    "date_joined",
)


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


# network_user_annotated as one hand-written statement: building the ORM version, with its
# four subqueries, costs about 1 ms a call, five times what running it does (the follow's
# response).
_USER_ENTRY_SQL = """
    SELECT u.username, u.allow_networking, u.follow_approval, u.followers_count, u.following_count, u.date_joined,
        (SELECT c.score FROM rr_checklist c WHERE c.user_id = u.id AND c.created_at <= %s
         ORDER BY c.created_at DESC, c.id DESC LIMIT 1),
        (SELECT c.created_at FROM rr_checklist c WHERE c.user_id = u.id AND c.created_at <= %s
         ORDER BY c.created_at DESC, c.id DESC LIMIT 1),
        EXISTS (SELECT 1 FROM rr_network n WHERE n.follower_id = %s AND n.following_id = u.id),
        EXISTS (SELECT 1 FROM rr_network n WHERE n.following_id = %s AND n.follower_id = u.id)
    FROM rr_user u
    WHERE u.id = %s
"""


def network_user_annotated(*, user, target_id):
    """One user as a row of network_links (without `link_id`), as `user` sees them."""
    with connection.cursor() as cursor:
        bound = checklist_latest_bound()
        cursor.execute(_USER_ENTRY_SQL, [bound, bound, user.pk, user.pk, target_id])
        row = cursor.fetchone()
    if row is None:  # deleted since the caller looked it up
        raise NotFound("No such user.", code="user_not_found")
    username, allow, approval, followers, following, joined, score, created_at, you_follow, follows_you = row
    return {
        "username": username,
        "allow_networking": bool(allow),
        "follow_approval": bool(approval),
        "followers_count": followers,
        "following_count": following,
        "date_joined": joined,
        "latest_score": score,
        "latest_created_at": created_at,
        "you_follow": bool(you_follow),
        "follows_you": bool(follows_you),
        "user_id": target_id,
    }


def networking_described(user):
    """The user's networking settings in words, as the API's settings and the web app show them."""
    if not user.allow_networking:
        return "Networking is off: nobody can start following you and your regret index is hidden."
    if user.follow_approval:
        return "Networking is on with approval: follows are requests you accept; only followers see your index."
    return "Networking is on: others can follow you and see your regret index."
