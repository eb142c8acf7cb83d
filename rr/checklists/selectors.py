from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.common.errors import NotFound

# The local day a checklist belongs to, as a query expression (annotate, filter, order by).
# Checklists made before migration 0008 have no local_date: the client's offset was never
# stored, so their day is the UTC date of created_at. Computed at read time instead of
# backfilled: no long write on the live table, and the rule stays in this one place.
LOCAL_DATE = Coalesce("local_date", TruncDate("created_at", tzinfo=UTC))


def checklist_local_date(checklist: Checklist) -> date:
    """LOCAL_DATE for one loaded checklist."""
    return checklist.local_date or checklist.created_at.astimezone(UTC).date()


def day_close_grace() -> timedelta:
    return timedelta(hours=settings.DAY_CLOSE_GRACE_HOURS)


def checklist_closes_at(checklist: Checklist) -> datetime:
    """When the checklist's day closes: the end of its local day, plus the grace period.

    The local day ends at midnight at the UTC offset the client sent (a later change of
    time zone does not move it). Legacy checklists, whose offset is unknown, end at UTC
    midnight of their UTC date (see LOCAL_DATE).
    """
    offset = timezone(timedelta(minutes=checklist.utc_offset_minutes or 0))
    day_after = checklist_local_date(checklist) + timedelta(days=1)
    return datetime.combine(day_after, time.min, tzinfo=offset) + day_close_grace()


def checklist_is_completed(checklist: Checklist, *, at: datetime) -> bool:
    """Completed as the client sees it: marked so, or its day closed by `at` (not yet marked)."""
    return checklist.completed or checklist_closes_at(checklist) <= at


def last_offset_checklist(*, user: User) -> QuerySet[Checklist]:
    """The user's checklists with a known offset, the latest local date first.

    The first one's `utc_offset_minutes` is the user's last known offset (checklist_for_day's
    rule for a closed day). Ordered by local date, not by when they were made: a past day
    replayed at another offset does not move it. Legacy checklists are skipped (their offset
    was never sent); the rest are this release's, read from the covering index
    rr_checklist_user_days_idx.
    """
    return Checklist.objects.filter(user=user, utc_offset_minutes__isnull=False).order_by(
        "-local_date", "-created_at", "-id"
    )


def last_known_offset(*, user: User) -> tzinfo:
    """The user's last known UTC offset as a tzinfo (UTC when none is known)."""
    minutes = last_offset_checklist(user=user).values_list("utc_offset_minutes", flat=True).first()
    return timezone(timedelta(minutes=minutes or 0))


# A checklist of local day D was made at D 00:00 at an offset of at most +14:00: not before.
_EARLIEST_OFFSET = timedelta(hours=14)


def checklist_list(*, user: User, since: date | None = None, limit: int | None = None) -> QuerySet[Checklist]:
    """The user's checklists, newest first, with their regrets (two queries).

    `since` (a date): only those of that local day or later (LOCAL_DATE), read as a range of
    the (user_id, created_at) index; `limit`: at most that many, the newest.
    """
    checklists = Checklist.objects.filter(user=user)
    if since is not None:
        earliest = datetime.combine(since, time.min, tzinfo=UTC) - _EARLIEST_OFFSET
        checklists = checklists.filter(created_at__gte=earliest).alias(day=LOCAL_DATE).filter(day__gte=since)
    checklists = checklists.order_by("-created_at", "-id").prefetch_related(
        Prefetch("regrets", queryset=Regret.objects.order_by("id"))
    )
    return checklists[:limit] if limit is not None else checklists


def checklist_get(*, user: User, checklist_id: int, with_regrets: bool = False) -> Checklist:
    """One of the user's own checklists; anybody else's is indistinguishable from none.

    `with_regrets` prefetches them, ordered as checklist_list does (one more query).
    """
    checklists = Checklist.objects.filter(pk=checklist_id, user=user)
    if with_regrets:
        checklists = checklists.prefetch_related(Prefetch("regrets", queryset=Regret.objects.order_by("id")))
    checklist = checklists.first()
    if checklist is None:
        raise NotFound("Checklist not found.", code="checklist_not_found")
    return checklist


def regret_list(*, checklist: Checklist) -> QuerySet[Regret]:
    return Regret.objects.filter(checklist=checklist).order_by("id")


def regrets_before(*, user: User, checklist: Checklist) -> bool:
    """Whether the user listed any regret on a checklist older than `checklist` (a first day has none)."""
    return Regret.objects.filter(checklist__user=user, checklist__created_at__lt=checklist.created_at).exists()


def routine_list(*, user: User) -> QuerySet[RoutineItem]:
    """The user's routine, in order."""
    return RoutineItem.objects.filter(user=user).order_by("position", "id")


def checklist_of_day(*, user: User, local_date: date) -> Checklist | None:
    """The user's checklist of a local date (the earliest, as checklist_for_day picks), or None."""
    # A local date's checklists were made within a day and a half of its UTC midnight
    # (offsets -12:00..+14:00): that range of the (user, created_at) index, then the date.
    midnight = datetime.combine(local_date, time.min, tzinfo=UTC)
    return (
        Checklist.objects.filter(
            user=user, created_at__gte=midnight - timedelta(hours=15), created_at__lt=midnight + timedelta(hours=37)
        )
        .annotate(day=LOCAL_DATE)
        .filter(day=local_date)
        .order_by("created_at", "id")
        .first()
    )
