"""Checklist actions: the checklist of a local day, the routine it starts with, adding, resolving,
editing and deleting regrets, closing days."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, F, Q, Value
from django.utils import timezone

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.checklists.selectors import LOCAL_DATE, checklist_closes_at, day_close_grace, last_offset_checklist
from rr.common.db import LOCK_CHECKLIST_DAY, LOCK_ROUTINE, advisory_xact_lock
from rr.common.errors import Conflict, NotFound, ServiceError

SCORE_PLACES = Decimal("0.0001")

# A client's clock may run a little ahead of the server's; a day further ahead, or an
# offset no time zone has, would let a user tick off a future day and show followers a
# forged regret index. The lists never read a checklist beyond the same bound.
FUTURE_TOLERANCE = timedelta(minutes=10)
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def daily_goal_set(*, user: User, goal: Decimal) -> User:
    """Set the highest regret index that still keeps a day (days.Day.kept); the database bounds it to 0..1."""
    User.objects.filter(pk=user.pk).update(daily_goal=goal)
    user.daily_goal = goal
    return user


def checklist_latest_bound() -> datetime:
    """The latest `created_at` a checklist may have now (server clock + FUTURE_TOLERANCE)."""
    return timezone.now() + FUTURE_TOLERANCE


def checklist_for_day(*, user: User, local_datetime: datetime) -> tuple[Checklist, bool]:
    """Return (checklist, created) for the user's local date of `local_datetime`.

    At most one checklist per user and local date (selectors.LOCAL_DATE), whatever the
    offset sent, even under concurrent requests: the look-up and the insert run under a
    per-user advisory lock. Of legacy duplicates, the earliest (then lowest id) is returned.

    A date already closed at the offset of the user's last checklist before it
    (selectors.last_offset_checklist) but still open at the offset sent is refused, 409
    `day_closed` (docs/HARDENING.md: a missed day is not revived by moving west); closed at
    both, it is made frozen from birth. The look-up and the last offsets are one statement
    of index range scans, whatever the user's history.

    A new checklist starts with the user's routine (routine_copy) in the same transaction,
    so it is copied exactly once, with its regrets prefetched. An existing one is returned
    as it is.
    """
    if local_datetime.tzinfo is None or local_datetime.utcoffset() is None:
        raise ServiceError(
            "local_datetime must include a UTC offset, e.g. 2025-06-19T01:00:00+08:00.", field="local_datetime"
        )
    if not MIN_OFFSET <= cast(timedelta, local_datetime.utcoffset()) <= MAX_OFFSET:  # not None: checked above
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
    offset_minutes = int(cast(timedelta, local_datetime.utcoffset()).total_seconds() // 60)
    with transaction.atomic():
        advisory_xact_lock(LOCK_CHECKLIST_DAY, user.pk)
        # The app asks for the day's checklist first thing: the first request after a
        # day closed is where that day's checklist completes (checklists_complete).
        checklists_complete(user=user)
        existing, before = _day_and_before(user=user, local_date=local_date)
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
        routine_copy(checklist=checklist)
        return checklist, True


DAY_CLOSED_ELSEWHERE = (
    "This day is over: it closed where your last checklist was made, so another time zone cannot open it again."
)


def _day_and_before(*, user: User, local_date: date) -> tuple[Checklist | None, Checklist | None]:
    """(the user's checklist of `local_date`, their latest checklist before `local_date`), each
    None when there is none, in one statement.

    A checklist of that local date was made within [its start at +14:00, its end at
    -12:00) (MIN_OFFSET, MAX_OFFSET), legacy ones (their UTC date) too: a range of the
    (user, created_at) index, filtered on LOCAL_DATE. The one before is
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
    before = (
        last_offset_checklist(user=user)
        .filter(local_date__lt=local_date)
        .annotate(day=LOCAL_DATE, role=Value("before"))[:1]
    )
    found = {row.role: row for row in day.union(before, all=True)}
    return found.get("day"), found.get("before")


# The routine into a new checklist, in routine order, in one statement whatever its length
# (docs/BENCHMARKS.md: a routine of 10 costs no round trip more than an empty one). The
# regrets' ids follow the routine's order (a regret list is ordered by id). A new checklist
# of unticked regrets keeps its score of 1, so no score refresh is needed.
_ROUTINE_COPY_SQL = """
    INSERT INTO rr_regret (checklist_id, description, created_at, success)
    SELECT %(checklist)s, r.description, %(at)s, false
    FROM (SELECT description, position, id FROM rr_routine_item WHERE user_id = %(user)s
          ORDER BY position, id) r
    ORDER BY r.position, r.id
    RETURNING id, description, created_at, success
"""


def routine_copy(*, checklist: Checklist) -> list[Regret]:
    """Add the user's routine, unticked, to a checklist just created; the regrets are prefetched on it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ROUTINE_COPY_SQL, {"checklist": checklist.pk, "at": checklist.created_at, "user": checklist.user_id}
        )
        rows = cursor.fetchall()
    regrets = [
        Regret(id=pk, description=description, created_at=created_at, success=success, checklist=checklist)
        for pk, description, created_at, success in sorted(rows)
    ]
    # As Django's prefetch_related leaves it: a queryset whose results are already in hand.
    prefetched = checklist.regrets.all()
    prefetched._result_cache = regrets
    prefetched._prefetch_done = True  # type: ignore[attr-defined]
    checklist._prefetched_objects_cache = {"regrets": prefetched}  # type: ignore[attr-defined]
    return regrets


# How far back the per-user sweep looks, before the grace window: a day closes at most
# 24 h (+ grace) after its checklist was made, so two days cover the latest closings.
USER_SWEEP = timedelta(days=2)

DAY_CLOSED = "This checklist is completed: its day is over, its regrets and score are frozen."


def _checklist_lock(*, user: User, checklist_id: int, at: datetime) -> tuple[Checklist, bool]:
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


def checklists_complete(*, user: User | None = None, at: datetime | None = None, batch_size: int = 1000) -> int:
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


def regret_index(*, unresolved: int, total: int) -> Decimal:
    """The regret index of a day with `total` regrets, `unresolved` of them left: the share
    left undone to 4 places (half up), 1 with no regrets."""
    if not total:
        return Decimal("1")
    return (Decimal(unresolved) / Decimal(total)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def checklist_score_refresh(*, checklist: Checklist) -> Decimal:
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


def regret_add(
    *, user: User, checklist_id: int, description: str, at: datetime | None = None, client_id: UUID | None = None
) -> tuple[Regret, Checklist]:
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


def regret_resolve(
    *, user: User, checklist_id: int, regret_id: int, success: bool, at: datetime | None = None
) -> tuple[Regret, Checklist]:
    """Tick (true) or untick (false) a regret; returns (regret, checklist) with the new score.

    Idempotent: setting the state it already has (a retry on a bad connection) changes
    nothing and answers like the first time. See regret_update.
    """
    return regret_update(user=user, checklist_id=checklist_id, regret_id=regret_id, success=success, at=at)


def regret_update(
    *,
    user: User,
    checklist_id: int,
    regret_id: int,
    success: bool | None = None,
    description: str | None = None,
    at: datetime | None = None,
) -> tuple[Regret, Checklist]:
    """Change a regret while its day is open: tick or untick it (`success`), reword it (`description`).

    Returns (regret, checklist) with the checklist's score, recomputed in the same
    transaction under the checklist's row lock when the tick changed, so concurrent
    ticks, unticks, edits and deletes leave it equal to the share unresolved. None
    leaves a field as it is. `at` and a closed day (409 `day_closed`) as in regret_add.
    """
    if success is not None and not isinstance(success, bool):
        raise ServiceError("success must be true or false.", field="success")
    with transaction.atomic():
        checklist, open_ = _checklist_lock(user=user, checklist_id=checklist_id, at=at or timezone.now())
        if open_:
            regret = _regret_of(checklist, regret_id)
            changes: dict[str, Any] = {}
            if success is not None and regret.success != success:
                changes["success"] = success
            if description is not None and regret.description != description:
                changes["description"] = description
            if changes:
                Regret.objects.filter(pk=regret.pk).update(**changes)
                for field, value in changes.items():
                    setattr(regret, field, value)
            if "success" in changes:
                checklist_score_refresh(checklist=checklist)
    if not open_:
        raise Conflict(DAY_CLOSED, code="day_closed")
    return regret, checklist


def regret_delete(*, user: User, checklist_id: int, regret_id: int, at: datetime | None = None) -> Checklist:
    """Remove a regret while its day is open; returns the checklist with its new score.

    Under the checklist's row lock, the score recomputed in the same transaction (as a
    tick). A regret already gone is a 404 `regret_not_found`; a closed day, 409 `day_closed`.
    """
    with transaction.atomic():
        checklist, open_ = _checklist_lock(user=user, checklist_id=checklist_id, at=at or timezone.now())
        if open_:
            if not Regret.objects.filter(pk=regret_id, checklist=checklist)._raw_delete(connection.alias):
                raise NotFound("Regret not found.", code="regret_not_found")
            checklist_score_refresh(checklist=checklist)
    if not open_:
        raise Conflict(DAY_CLOSED, code="day_closed")
    return checklist


def _regret_of(checklist: Checklist, regret_id: int) -> Regret:
    regret = Regret.objects.filter(pk=regret_id, checklist=checklist).first()
    if regret is None:
        raise NotFound("Regret not found.", code="regret_not_found")
    return regret


def checklists_score_refresh(*, checklist_ids: Iterable[int]) -> None:
    """Recompute the scores of these checklists (after an edit of their regrets in the admin).

    Each checklist is row-locked first, in id order, as regret_add and regret_resolve
    lock theirs, so a concurrent tick is applied before or after, never lost.
    Checklists gone are skipped.
    """
    with transaction.atomic():
        locked = Checklist.objects.select_for_update(no_key=True).filter(pk__in=set(checklist_ids)).order_by("pk")
        for checklist in locked:
            checklist_score_refresh(checklist=checklist)


# The routine ----------------------------------------------------------------------------

ROUTINE_LIMIT = 50


def _routine_locked(user: User) -> list[RoutineItem]:
    """Serialise the user's routine writes (positions stay 1..n without gaps); the items, in order."""
    advisory_xact_lock(LOCK_ROUTINE, user.pk)
    return list(RoutineItem.objects.filter(user=user).order_by("position", "id"))


def _routine_item_of(items: list[RoutineItem], item_id: int) -> RoutineItem:
    for item in items:
        if item.pk == item_id:
            return item
    raise NotFound("Routine item not found.", code="routine_item_not_found")


def routine_add(*, user: User, description: str | None = None, from_regret: int | None = None) -> RoutineItem:
    """Add a standing regret at the end of the user's routine: `description`, or the
    description of one of the user's regrets (`from_regret`, an id).

    At most ROUTINE_LIMIT items (409 `routine_full`); a description already in the
    routine is 409 `already_in_routine`. Checklists that exist are not changed: the
    routine reaches the next day's checklist when it is created.
    """
    if (description is None) == (from_regret is None):
        raise ServiceError("Send either description or from_regret.", field="description")
    if from_regret is not None:
        description = (
            Regret.objects.filter(pk=from_regret, checklist__user=user).values_list("description", flat=True).first()
        )
        if description is None:
            raise NotFound("Regret not found.", code="regret_not_found")
    with transaction.atomic():
        items = _routine_locked(user)
        if any(item.description == description for item in items):
            raise Conflict(f"“{description}” is already in your routine.", code="already_in_routine")
        if len(items) >= ROUTINE_LIMIT:
            raise Conflict(f"A routine holds at most {ROUTINE_LIMIT} regrets.", code="routine_full")
        # description is a str by now: given, or the regret's.
        return RoutineItem.objects.create(user=user, description=cast(str, description), position=len(items) + 1)


def routine_update(
    *, user: User, item_id: int, description: str | None = None, position: int | None = None
) -> RoutineItem:
    """Rename an item of the user's routine and/or move it to `position` (1..n; the others shift)."""
    with transaction.atomic():
        items = _routine_locked(user)
        item = _routine_item_of(items, item_id)
        if description is not None and description != item.description:
            if any(other.description == description for other in items if other.pk != item.pk):
                raise Conflict(f"“{description}” is already in your routine.", code="already_in_routine")
            item.description = description
        if position is not None and position != item.position:
            if not 1 <= position <= len(items):
                raise ServiceError(
                    f"position must be between 1 and {len(items)} (the routine's length).", field="position"
                )
            mine = RoutineItem.objects.filter(user=user).exclude(pk=item.pk)
            if position < item.position:
                mine.filter(position__gte=position, position__lt=item.position).update(position=F("position") + 1)
            else:
                mine.filter(position__gt=item.position, position__lte=position).update(position=F("position") - 1)
            item.position = position
        item.save(update_fields=["description", "position"])
        return item


def routine_delete(*, user: User, item_id: int) -> None:
    """Remove an item of the user's routine (the ones after it move up). Checklists keep their regrets."""
    with transaction.atomic():
        item = _routine_item_of(_routine_locked(user), item_id)
        RoutineItem.objects.filter(pk=item.pk)._raw_delete(connection.alias)
        RoutineItem.objects.filter(user=user, position__gt=item.position).update(position=F("position") - 1)


def routine_replace(*, user: User, checklist_id: int) -> list[RoutineItem]:
    """Make one of the user's checklists (say yesterday's) the whole routine: its regrets in
    their order, a repeated description once, the first ROUTINE_LIMIT. Returns the new routine.
    """
    checklist = Checklist.objects.filter(pk=checklist_id, user=user).first()
    if checklist is None:
        raise NotFound("Checklist not found.", code="checklist_not_found")
    descriptions = list(
        dict.fromkeys(Regret.objects.filter(checklist=checklist).order_by("id").values_list("description", flat=True))
    )[:ROUTINE_LIMIT]
    with transaction.atomic():
        _routine_locked(user)
        RoutineItem.objects.filter(user=user)._raw_delete(connection.alias)
        return RoutineItem.objects.bulk_create(
            RoutineItem(user=user, description=description, position=position)
            for position, description in enumerate(descriptions, start=1)
        )
