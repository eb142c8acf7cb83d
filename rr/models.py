"""Django finds the app's models here; each lives with its domain."""

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret
from rr.network.models import Network

__all__ = ["User", "Checklist", "Regret", "Network"]
