"""Django finds the app's models here; each lives with its domain."""

from rr.accounts.models import RecoveryCode, Session, User
from rr.checklists.models import Checklist, Regret, RoutineItem, UserDays
from rr.network.models import Block, FollowRequest, Network
from rr.notifications.models import Nudge, PushMessage, PushSubscription, Reminder

__all__ = [
    "User",
    "Session",
    "RecoveryCode",
    "Checklist",
    "Regret",
    "RoutineItem",
    "UserDays",
    "Network",
    "FollowRequest",
    "Block",
    "Nudge",
    "PushSubscription",
    "PushMessage",
    "Reminder",
]
