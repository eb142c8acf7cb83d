"""The GDPR export: everything stored about an account, as plain JSON-ready data, read from each domain's tables."""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret
from rr.network.models import Network


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def account_export(*, user: User) -> dict[str, Any]:
    """The account's fields, its checklists with their regrets, and both sides of its network.

    Four queries whatever the size: checklists, their regrets, following, followers.
    Deactivated neighbours are listed too: the links are stored data of this account.
    No secret leaves: not the password hash, nor sessions' token hashes.
    """
    checklists = (
        Checklist.objects.filter(user=user)
        .order_by("created_at", "id")
        .prefetch_related(Prefetch("regrets", queryset=Regret.objects.order_by("created_at", "id")))
    )
    following = Network.objects.filter(follower=user).select_related("following").order_by("created_at", "id")
    followers = Network.objects.filter(following=user).select_related("follower").order_by("created_at", "id")
    return {
        "account": {
            "id": user.pk,
            "username": user.username,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "is_active": user.is_active,
            "password_set": user.has_usable_password(),
            "allow_networking": user.allow_networking,
            "followers_count": user.followers_count,
            "following_count": user.following_count,
        },
        "checklists": [
            {
                "id": checklist.pk,
                "created_at": _when(checklist.created_at),
                "score": float(checklist.score),
                "completed": checklist.completed,
                "regrets": [
                    {
                        "id": regret.pk,
                        "description": regret.description,
                        "created_at": _when(regret.created_at),
                        "success": regret.success,
                    }
                    for regret in checklist.regrets.all()
                ],
            }
            for checklist in checklists
        ],
        "following": [{"username": link.following.username, "since": _when(link.created_at)} for link in following],
        "followers": [{"username": link.follower.username, "since": _when(link.created_at)} for link in followers],
    }
