"""Checklist actions: the checklist of a local day, adding and resolving regrets, closing days."""

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q, Value
from django.utils import timezone

from rr.checklists.models import Checklist, Regret
from rr.checklists.selectors import LOCAL_DATE, checklist_closes_at, day_close_grace, last_offset_checklist
from rr.common.db import LOCK_CHECKLIST_DAY, advisory_xact_lock
from rr.common.errors import Conflict, NotFound, ServiceError
from rr.notifications.services import reminder_follow_offset

SCORE_PLACES = Decimal("0.0001")

# A client's clock may run a little ahead of the server's; a day further ahead, or an
# offset no time zone has, would let a user tick off a future day and show followers a
# forged regret index. The lists never read a checklist beyond the same bound.
FUTURE_TOLERANCE = timedelta(minutes=10)
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def checklist_latest_bound():
    """The latest `created_at` a checklist may have now (server clock + FUTURE_TOLERANCE)."""
    return timezone.now() + FUTURE_TOLERANCE


def checklist_for_day(*, user, local_datetime):
    """Return (checklist, created) for the user's local date of `local_datetime`.

    At most one checklist per user and local date (selectors.LOCAL_DATE), whatever
    the offset sent, even under concurrent requests: the look-up and the insert run
    under a per-user advisory lock. Legacy data may hold two for one day; the
    earliest (then lowest id) is the one returned.

    A new checklist for a local date that has already closed at the offset of the user's
    last checklist before that date (selectors.last_offset_checklist) but would still be
    open at the offset sent is refused with 409 `day_closed`: a missed day cannot be
    revived by moving west, nor by first making the next day at a western offset (the
    offset a day is judged by is never one chosen after it).
    A day closed at both is made, frozen from birth, as before (a past day replayed).

    The look-up and the last offsets are one statement: index range scans of
    (user, created_at) and (user, local_date), whatever the user's history.
    """
    if local_datetime.tzinfo is None or local_datetime.utcoffset() is None:
        raise ServiceError(
            "local_datetime must include a UTC offset, e.g. 2025-06-19T01:00:00+08:00.", field="local_datetime"
        )
    if not MIN_OFFSET <= local_datetime.utcoffset() <= MAX_OFFSET:
        raise ServiceError(
            "local_datetime: the UTC offset must be between -12:00 and +14:00.",
            code="offset_out_of_range",
            field="local_datetime",
        )
    if local_datetime > checklist_latest_bound():
        raise ServiceError(
            "local_datetime is in the future: send the device's current local time.",
            code="day_in_future",
            field="local_datetime",
        )
    local_date = local_datetime.date()
    offset_minutes = int(local_datetime.utcoffset().total_seconds() // 60)
    with transaction.atomic():
        advisory_xact_lock(LOCK_CHECKLIST_DAY, user.pk)
        # The app asks for the day's checklist first thing: the first request after a
        # day closed is where that day's checklist completes (checklists_complete).
        checklists_complete(user=user)
        existing, latest, before = _day_and_latest(user=user, local_date=local_date)
        if existing is not None:
            return existing, False
        checklist = Checklist(
            user=user,
            created_at=local_datetime.astimezone(UTC),
            local_date=local_date,
            utc_offset_minutes=offset_minutes,
        )
        if before is not None:
            now = timezone.now()
            at_last_offset = Checklist(local_date=local_date, utc_offset_minutes=before.utc_offset_minutes)
            if checklist_closes_at(at_last_offset) <= now < checklist_closes_at(checklist):
                raise Conflict(DAY_CLOSED_ELSEWHERE, code="day_closed")
        checklist.save(force_insert=True)
        if latest is None or (latest.utc_offset_minutes or 0) != offset_minutes:
            reminder_follow_offset(user_id=user.pk, offset=offset_minutes)
        return checklist, True


DAY_CLOSED_ELSEWHERE = (
    "This day is over: it closed where your last checklist was made, so another time zone cannot open it again."
)


def _day_and_latest(*, user, local_date):
    """(the user's checklist of `local_date`, their latest checklist, their latest checklist
    before `local_date`), each None when there is none, in one statement.

    A checklist of that local date was made within [its start at +14:00, its end at
    -12:00) (MIN_OFFSET, MAX_OFFSET), legacy ones (their UTC date) too: a range of the
    (user, created_at) index, filtered on LOCAL_DATE. The latest ones are
    selectors.last_offset_checklist's (tests/checklists/test_day_close.py: a missed day
    is judged by the offset before it, not by a later day made first).
    """
    midnight = datetime.combine(local_date, time.min, tzinfo=UTC)
    day = (
        Checklist.objects.annotate(day=LOCAL_DATE, role=Value("day"))
        .filter(
            user=user,
            created_at__gte=midnight - MAX_OFFSET,
            created_at__lt=midnight + timedelta(days=1) - MIN_OFFSET,
            day=local_date,
        )
        .order_by("created_at", "id")[:1]
    )
    latest = last_offset_checklist(user=user).annotate(day=LOCAL_DATE, role=Value("latest"))[:1]
    before = (
        last_offset_checklist(user=user)
        .filter(local_date__lt=local_date)
        .annotate(day=LOCAL_DATE, role=Value("before"))[:1]
    )
    found = {row.role: row for row in day.union(latest, before, all=True)}
    return found.get("day"), found.get("latest"), found.get("before")


# How far back the per-user sweep looks, before the grace window: a day closes at most
# 24 h (+ grace) after its checklist was made, so two days cover the latest closings.
USER_SWEEP = timedelta(days=2)

DAY_CLOSED = "This checklist is completed: its day is over, its regrets and score are frozen."


def _checklist_lock(*, user, checklist_id, at):
    """The user's own checklist, row-locked for the rest of the transaction (404 otherwise).

    Returns (checklist, open): `open` is False when its day closed by `at`; the caller
    then marks it completed (commits that) and answers 409 `day_closed`.
    """
    checklist = Checklist.objects.select_for_update(no_key=True).filter(pk=checklist_id, user=user).first()
    if checklist is None:
        raise NotFound("Checklist not found.", code="checklist_not_found")
    if checklist.completed:
        raise Conflict(DAY_CLOSED, code="day_closed")
    if checklist_closes_at(checklist) <= at:
        Checklist.objects.filter(pk=checklist.pk).update(completed=True)
        checklist.completed = True
        return checklist, False
    return checklist, True


def checklists_complete(*, user=None, at=None, batch_size=1000):
    """Mark completed every checklist whose local day closed by `at` (default now): frozen.

    A day closes when it is over where the user was, plus DAY_CLOSE_GRACE_HOURS
    (selectors.checklist_closes_at), so yesterday's list can still be ticked just after
    midnight. A checklist made less than the grace period ago cannot have closed.

    With `user`: the first request after a day closed. Only that user's last two days
    before the grace window are looked at (a range of the (user, created_at) index, a
    handful of rows whatever the history); older ones are the periodic command's.
    Without: every user (`manage.py complete_checklists`), `batch_size` rows a
    transaction in id order. Returns how many checklists completed.
    """
    at = at or timezone.now()
    newest = at - day_close_grace()
    candidates = Checklist.objects.filter(completed=False, created_at__lte=newest)
    if user is not None:
        candidates = candidates.filter(user=user, created_at__gt=newest - USER_SWEEP)
    fields = ("id", "created_at", "local_date", "utc_offset_minutes")
    done = 0
    last_id = 0
    while True:
        page = list(candidates.filter(pk__gt=last_id).order_by("pk").only(*fields)[:batch_size])
        closed = [checklist.pk for checklist in page if checklist_closes_at(checklist) <= at]
        if closed:
            done += Checklist.objects.filter(pk__in=closed, completed=False).update(completed=True)
        if len(page) < batch_size:
            return done
        last_id = page[-1].pk


def regret_index(*, unresolved, total):
    """The regret index of a day with `total` regrets, `unresolved` of them left: the share
    left undone to 4 places (half up), 1 with no regrets."""
    if not total:
        return Decimal("1")
    return (Decimal(unresolved) / Decimal(total)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def checklist_score_refresh(*, checklist):
    """Recompute the score from the regrets: the share unresolved, 1 with no regrets.

    Callers hold the checklist's row lock, so concurrent ticks are applied one
    after the other and the last one to commit sees every tick.
    """
    totals = Regret.objects.filter(checklist=checklist).aggregate(
        total=Count("id"), unresolved=Count("id", filter=Q(success=False))
    )
    score = regret_index(unresolved=totals["unresolved"], total=totals["total"])
    Checklist.objects.filter(pk=checklist.pk).update(score=score)
    checklist.score = score
    return score


def regret_add(*, user, checklist_id, description, at=None, client_id=None):
    """Add an unresolved regret to one of the user's checklists; the score follows.

    `at` is when the user acts (default now; the demo data replays past days).
    A checklist whose day closed is completed instead, and the answer is 409 `day_closed`.
    With `client_id` (the client's idempotency key), a regret already added with it to this
    checklist is returned instead of a second one. The checklist's row lock serialises the
    look-up and the insert, so concurrent replays add one.
    """
    with transaction.atomic():
        checklist, open_ = _checklist_lock(user=user, checklist_id=checklist_id, at=at or timezone.now())
        if open_:
            if client_id is not None:
                existing = Regret.objects.filter(checklist=checklist, client_id=client_id).first()
                if existing is not None:
                    return existing, checklist
            regret = Regret.objects.create(checklist=checklist, description=description, client_id=client_id)
            checklist_score_refresh(checklist=checklist)
    if not open_:
        raise Conflict(DAY_CLOSED, code="day_closed")
    return regret, checklist


def regret_resolve(*, user, checklist_id, regret_id, success, at=None):
    """Mark a regret done; returns (regret, checklist) with the checklist's new score.

    Only false -> true (400 otherwise). Idempotent: resolving a resolved regret again
    (a retry on a bad connection) changes nothing and answers like the first time.
    The score is updated in the same transaction, under the checklist's row lock.
    `at` and a closed day as in regret_add.
    """
    if success is not True:
        raise ServiceError("success can only be set to true: a resolved regret stays resolved.", field="success")
    with transaction.atomic():
        checklist, open_ = _checklist_lock(user=user, checklist_id=checklist_id, at=at or timezone.now())
        if open_:
            regret = Regret.objects.filter(pk=regret_id, checklist=checklist).first()
            if regret is None:
                raise NotFound("Regret not found.", code="regret_not_found")
            if not regret.success:
                Regret.objects.filter(pk=regret.pk).update(success=True)
                regret.success = True
                checklist_score_refresh(checklist=checklist)
    if not open_:
        raise Conflict(DAY_CLOSED, code="day_closed")
    return regret, checklist


def checklists_score_refresh(*, checklist_ids):
    """Recompute the scores of these checklists (after an edit of their regrets in the admin).

    Each checklist is row-locked first, in id order, as regret_add and regret_resolve
    lock theirs, so a concurrent tick is applied before or after, never lost.
    Checklists gone are skipped.
    """
    with transaction.atomic():
        locked = Checklist.objects.select_for_update(no_key=True).filter(pk__in=set(checklist_ids)).order_by("pk")
        for checklist in locked:
            checklist_score_refresh(checklist=checklist)
