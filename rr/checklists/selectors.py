from datetime import UTC

from django.db.models import Prefetch
from django.db.models.functions import Coalesce, TruncDate

from rr.checklists.models import Checklist, Regret
from rr.common.errors import NotFound

# The local day a checklist belongs to, as a query expression (annotate, filter, order by).
# Checklists made before migration 0008 have no local_date: the client's offset was never
# stored, so their day is the UTC date of created_at. Computed at read time instead of
# backfilled: no long write on the live table, and the rule stays in this one place.
LOCAL_DATE = Coalesce("local_date", TruncDate("created_at", tzinfo=UTC))


def checklist_local_date(checklist):
    """LOCAL_DATE for one loaded checklist."""
    return checklist.local_date or checklist.created_at.astimezone(UTC).date()


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
