from django.db.models import Prefetch

from rr.checklists.models import Checklist, Regret
from rr.common.errors import NotFound


def checklist_list(*, user):
    """The user's checklists, newest first, with their regrets (two queries)."""
    return (
        Checklist.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .prefetch_related(Prefetch("regrets", queryset=Regret.objects.order_by("id")))
    )


def checklist_get(*, user, checklist_id):
    """One of the user's own checklists; anybody else's is indistinguishable from none."""
    checklist = Checklist.objects.filter(pk=checklist_id, user=user).first()
    if checklist is None:
        raise NotFound("Checklist not found.", code="checklist_not_found")
    return checklist


def regret_list(*, checklist):
    return Regret.objects.filter(checklist=checklist).order_by("id")
