"""A user's days: history, streaks and strength, read in a fixed number of queries.

The definitions (kept day, current and longest streak, strength, local day and today,
legacy rows) are docs/STREAKS.md's; this module is their code. Strength is
`s = s * m + (1 - m) * kept(d)` from the first day, `m = 0.5 ** (1 / 13)`, rounded half-up
to 4 places. A checklist's local date is LOCAL_DATE_SQL (rr.checklists.selectors.LOCAL_DATE
in SQL: `local_date`, else the UTC date of a legacy row's `created_at`).

The lists and the history read streaks and strength from each user's rr_user_days row
(migration 0013's triggers; summary_stats). The functions computing from the raw days
(streaks, strength, users_stats) stay the definition: the tests compare the summary with
them, and a user without a row, or whose strength lies within float error of a 4-place
tie, is read from the raw days.
"""

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db import connections, router
from django.utils import timezone

from rr.accounts.models import User
from rr.checklists.models import Checklist

STRENGTH_MULTIPLIER = 0.5 ** (1 / 13)
STRENGTH_PLACES = Decimal("0.0001")
# How far back the list entries read (a year and a day); a streak reaching further
# is completed by one more query (users_stats), and strength's error from
# starting there is below m ** 366 < 1e-8.
WINDOW_DAYS = 366

# The local date of checklist `c` and the UTC offset (minutes) it was made at: see the
# module docstring. One expression, used by every query below.
LOCAL_DATE_SQL = "COALESCE(c.local_date, (c.created_at AT TIME ZONE 'UTC')::date)"
OFFSET_MINUTES_SQL = "COALESCE(c.utc_offset_minutes, 0)"


@dataclass(frozen=True)
class Day:
    date: date
    score: Decimal | None  # None: no checklist that day
    regrets: int
    resolved: int

    def kept(self, goal: Decimal) -> bool:
        return self.score is not None and self.regrets > 0 and self.score <= goal


def today_at(offset_minutes: int | None, now: datetime | None = None) -> date:
    """The current date at a UTC offset of `offset_minutes`."""
    now = now or timezone.now()
    return (now.astimezone(UTC) + timedelta(minutes=offset_minutes or 0)).date()


def streaks(kept_dates: set[date], today: date) -> tuple[int, int]:
    """(current_streak, longest_streak) of a set of kept dates, as of `today`."""
    day = today if today in kept_dates else today - timedelta(days=1)
    current = 0
    while day in kept_dates:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous = None
    for day in sorted(kept_dates):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return current, longest


def strength(kept_dates: set[date], first_date: date | None, today: date) -> Decimal:
    """Loop's habit score of the kept dates from `first_date` to `today` (see the module docstring)."""
    if first_date is None or first_date > today:
        return Decimal("0")
    # The recurrence in closed form: each kept day d weighs (1 - m) * m ** (last - d),
    # `last` being the last day walked (today once kept, else yesterday). A sum over the
    # kept days only, not a walk over every day since the first: a list page computes it
    # for each of its users, most of whose days are not kept.
    last = today if today in kept_dates else today - timedelta(days=1)
    end, begin = last.toordinal(), first_date.toordinal()
    # fsum in date order: a set's order (and a plain sum's last bits) varies from process
    # to process, which could round a tie (65 kept days: exactly 0.96875) either way.
    value = math.fsum(
        (1 - STRENGTH_MULTIPLIER) * STRENGTH_MULTIPLIER ** (end - day)
        for day in sorted(map(date.toordinal, kept_dates))
        if begin <= day <= end
    )
    return Decimal(repr(min(max(value, 0.0), 1.0))).quantize(STRENGTH_PLACES, rounding=ROUND_HALF_UP)


# Every day of one user with a checklist, oldest first: the day's checklist (earliest,
# then lowest id) and its regret counts. One statement whatever the history's length:
# a range scan of the (user_id, created_at) index and the regrets by checklist_id.
_DAYS_SQL = f"""
    SELECT d.local_date, d.score, d.offset_minutes,
        COUNT(r.id), COUNT(r.id) FILTER (WHERE r.success)
    FROM (
        SELECT DISTINCT ON (local_date) {LOCAL_DATE_SQL} AS local_date, c.id, c.score, c.created_at,
            {OFFSET_MINUTES_SQL} AS offset_minutes
        FROM rr_checklist c
        WHERE c.user_id = %s
        ORDER BY local_date, c.created_at, c.id
    ) d
    LEFT JOIN rr_regret r ON r.checklist_id = d.id
    GROUP BY d.local_date, d.id, d.score, d.created_at, d.offset_minutes
    ORDER BY d.local_date
"""


@dataclass(frozen=True)
class History:
    today: date
    days: list[Day]  # newest first, one per local day of the window
    current_streak: int
    longest_streak: int
    strength: Decimal


# For a page of list entries: per user, the first local date since a start date, the
# latest local date and its offset, and the kept local dates. One statement and one row
# per user with checklists: the days are folded into an array by PostgreSQL, so a page
# of 1,000 users with a month of checklists each returns 1,000 rows, not 30,000.
# Kept: score <= goal and at least one regret (score < 1 implies one; a score of 1 with
# goal 1 needs the EXISTS). Per user (LATERAL), so each user's days are one range of
# the covering index rr_checklist_user_days_idx (index-only) and sorted on their own in
# memory; one DISTINCT ON over the whole page sorted 60,000 rows at once and spilled to
# disk. Going user by user, then the index, each cut the statement's time on 500 users
# with 120 days each (docs/BENCHMARKS.md, "Earlier runs": the list's streak fields).
_KEPT_SQL = f"""
    SELECT u.id, s.first, s.last, s.offset_minutes, s.kept
    FROM rr_user u
    CROSS JOIN LATERAL (
        SELECT min(d.local_date) AS first, max(d.local_date) AS last,
            (array_agg(d.offset_minutes ORDER BY d.local_date DESC))[1] AS offset_minutes,
            array_agg(d.local_date) FILTER (WHERE d.kept) AS kept
        FROM (
            SELECT DISTINCT ON (local_date) {LOCAL_DATE_SQL} AS local_date,
                {OFFSET_MINUTES_SQL} AS offset_minutes,
                c.score <= u.daily_goal
                AND (c.score < 1 OR EXISTS (SELECT 1 FROM rr_regret r WHERE r.checklist_id = c.id)) AS kept
            FROM rr_checklist c
            WHERE c.user_id = u.id AND c.created_at >= %(kept_since)s
            ORDER BY local_date, c.created_at, c.id
        ) d
    ) s
    WHERE u.id = ANY(%(kept_ids)s) AND s.first IS NOT NULL
"""


class Stats(NamedTuple):
    # A named tuple, not a frozen dataclass: a list of 1,000 makes 1,000 of them, and a
    # frozen dataclass's __init__ costs twice a tuple's (docs/BENCHMARKS.md).
    today: date
    current_streak: int
    strength: Decimal
    longest_streak: int = 0
    kept_today: bool = False  # today (their local date) already counts in current_streak


# The summary's columns for the users `u` of a statement that joins SUMMARY_JOIN, in
# SUMMARY_KEYS' order. `known`: the row can be trusted (it exists, or the user has no
# checklist at all, so none is owed); otherwise the user is read from the raw days.
SUMMARY_JOIN = "LEFT JOIN rr_user_days ud ON ud.user_id = u.id"
SUMMARY_COLUMNS = """
    ud.user_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM rr_checklist c0 WHERE c0.user_id = u.id),
    ud.last_date, ud.last_offset, ud.kept_last, ud.kept_run, ud.longest, ud.strength_sum
"""
SUMMARY_KEYS = ("known", "last_date", "last_offset", "kept_last", "kept_run", "longest", "strength_sum")
# How close to a 4-place tie (in units of the 4th place) a float strength must be for
# its rounding to be left to the raw days: the stored sum's float error is below 1e-12.
_TIE_MARGIN = 1e-6


# today_at for a page of users at one `now` (summary_users_stats): a few UTC offsets among
# them, each date computed once, not once an entry.
_today_at_cached = functools.lru_cache(maxsize=64)(today_at)


def summary_stats(summary: Sequence[Any], now: datetime) -> "Stats | None":
    """Stats from a user's summary columns (SUMMARY_KEYS order), or None when the raw days
    must decide: no trusted row, or a strength too close to a 4-place tie."""
    known, last_date, last_offset, kept_last, kept_run, longest, total = summary
    if not known:
        return None
    local_today = _today_at_cached(0 if last_date is None else last_offset, now)  # no day yet: UTC's date
    if last_date is None:
        return Stats(local_today, 0, Decimal("0"), 0)
    today = max(local_today, last_date)
    if kept_last is None:
        return Stats(today, 0, Decimal("0"), 0)
    current = kept_run if kept_last >= today - timedelta(days=1) else 0
    # Today enters only once kept: the last day walked is today or yesterday (strength()).
    last = today if kept_last == today else today - timedelta(days=1)
    value = (1 - STRENGTH_MULTIPLIER) * total * 0.5 ** ((last - kept_last).days / 13)
    scaled = min(max(value, 0.0), 1.0) * 10_000
    if abs(scaled - math.floor(scaled) - 0.5) < _TIE_MARGIN:
        return None
    return Stats(today, current, Decimal(math.floor(scaled + 0.5)).scaleb(-4), longest, kept_today=kept_last == today)


def _kept_rows(rows: Iterable[Sequence[Any]]) -> dict[int, dict[str, Any]]:
    return {
        user_id: {"kept": set(kept or ()), "first": first, "last": (last, offset)}
        for user_id, first, last, offset, kept in rows
    }


def _kept_since(user_ids: Iterable[int], since: datetime) -> dict[int, dict[str, Any]]:
    # As history(): the network list reading these may be on the replica.
    with connections[router.db_for_read(Checklist)].cursor() as cursor:
        cursor.execute(_KEPT_SQL, {"kept_ids": list(user_ids), "kept_since": since})
        return _kept_rows(cursor.fetchall())


def _window_since(now: datetime) -> datetime:
    return now - timedelta(days=WINDOW_DAYS + 1)


def users_stats_statement(user_ids: Iterable[int], *, now: datetime) -> tuple[str, dict[str, Any]]:
    """(sql, named params) of users_stats's first query, for a caller that sends it with
    others in one round trip and hands its rows to users_stats(rows=...)."""
    return _KEPT_SQL, {"kept_ids": sorted(set(user_ids)), "kept_since": _window_since(now)}


def user_stats(user: User, *, now: datetime | None = None) -> "Stats":
    """users_stats of one user: their current streak and whether today keeps it (Today, the API's day)."""
    return users_stats([user.pk], now=now)[user.pk]


def users_stats(
    user_ids: Iterable[int],
    *,
    now: datetime | None = None,
    rows: Iterable[Sequence[Any]] | None = None,
    full: bool = False,
) -> dict[int, "Stats"]:
    """{user id: Stats} for many users at once: at most two queries whatever their number.

    The first reads the last WINDOW_DAYS (+1 for time zones) of every user (or `rows`
    are its answer, sent by the caller: users_stats_statement with the same `now`);
    only the users whose current streak reaches the window's start are read again over
    their whole history. Users without checklists get a zero streak and strength.
    With `full`, one query over the whole history: the strength exactly as history()
    computes it (the summary's fallback, summary_users_stats).
    """
    now = now or timezone.now()
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return {}
    if full:
        return {
            user_id: Stats(today, current, value, kept_today=kept_today)
            for user_id, (today, current, value, kept_today) in _full_stats(user_ids, now).items()
        }
    since = _window_since(now)
    per_user = _kept_since(user_ids, since) if rows is None else _kept_rows(rows)

    def stats_of(entry: dict[str, Any], start: date | None) -> tuple[date, int, Decimal, bool]:
        last_date, offset = entry["last"]
        today = max(today_at(offset, now), last_date)
        first = max(entry["first"], start) if start is not None else entry["first"]
        current, _ = streaks(entry["kept"], today)
        return today, current, strength(entry["kept"], first, today), today in entry["kept"]

    result: dict[int, Stats]
    longer: list[int]
    result, longer = {}, []
    window_start = (since + timedelta(days=1)).date()
    for user_id in user_ids:
        entry = per_user.get(user_id)
        if entry is None:
            result[user_id] = Stats(today_at(0, now), 0, Decimal("0"))
            continue
        today, current, value, kept_today = stats_of(entry, window_start)
        if today - timedelta(days=current) < window_start + timedelta(days=1):
            longer.append(user_id)
        result[user_id] = Stats(today, current, value, kept_today=kept_today)
    if longer:
        for user_id, entry in _kept_since(longer, datetime(1, 1, 2, tzinfo=UTC)).items():
            today, current, _, kept_today = stats_of(entry, None)
            result[user_id] = Stats(today, current, result[user_id].strength, kept_today=kept_today)
    return result


def _full_stats(user_ids: list[int], now: datetime) -> dict[int, tuple[date, int, Decimal, bool]]:
    """{user id: (today, current streak, strength, today kept)} from the whole raw history; one query."""
    per_user = _kept_since(user_ids, datetime(1, 1, 2, tzinfo=UTC))
    result: dict[int, tuple[date, int, Decimal, bool]] = {}
    for user_id in user_ids:
        entry = per_user.get(user_id)
        if entry is None:
            result[user_id] = (today_at(0, now), 0, Decimal("0"), False)
            continue
        last_date, offset = entry["last"]
        today = max(today_at(offset, now), last_date)
        current, _ = streaks(entry["kept"], today)
        result[user_id] = (today, current, strength(entry["kept"], entry["first"], today), today in entry["kept"])
    return result


def summary_users_stats(summaries: Iterable[tuple[int, Sequence[Any]]], *, now: datetime) -> dict[int, "Stats"]:
    """{user id: Stats} from (user id, summary columns in SUMMARY_KEYS order) pairs: the summary
    where it decides, the raw days (users_stats(full=True), one more query) for the others."""
    result: dict[int, Stats]
    missing: list[int]
    result, missing = {}, []
    for user_id, summary in summaries:
        stats = summary_stats(summary, now)
        if stats is None:
            missing.append(user_id)
        else:
            result[user_id] = stats
    if missing:
        result.update(users_stats(missing, now=now, full=True))
    return result


def _raw_history(user: User, now: datetime) -> tuple[date, dict[date, Day], int, int, Decimal]:
    """(today, {date: Day}, current, longest, strength) from every day of the user: one query."""
    # Raw SQL bypasses the database router: ask it (the history may read from the replica).
    with connections[router.db_for_read(Checklist)].cursor() as cursor:
        cursor.execute(_DAYS_SQL, [user.pk])
        rows = cursor.fetchall()
    by_date = {
        local_date: Day(local_date, score, regrets, resolved) for local_date, score, _, regrets, resolved in rows
    }
    today = today_at(rows[-1][2] if rows else 0, now)
    # A checklist for a later local date than "today" (a client ahead of UTC) makes that day today.
    if rows and rows[-1][0] > today:
        today = rows[-1][0]
    goal = user.daily_goal
    kept_dates = {day.date for day in by_date.values() if day.kept(goal)}
    current, longest = streaks(kept_dates, today)
    return today, by_date, current, longest, strength(kept_dates, rows[0][0] if rows else None, today)


# The history's one statement: the user's summary row (SUMMARY_COLUMNS) and the days of
# the window as four arrays (the days made since `since`, one per local day as _DAYS_SQL
# picks it). Its cost depends on the window, not on the history's length.
_WINDOW_SQL = f"""
    SELECT {SUMMARY_COLUMNS}, w.dates, w.scores, w.regrets, w.resolved
    FROM rr_user u
    {SUMMARY_JOIN}
    CROSS JOIN LATERAL (
        SELECT array_agg(d.local_date ORDER BY d.local_date) AS dates, array_agg(d.score ORDER BY d.local_date) AS scores,
            array_agg(d.regrets ORDER BY d.local_date) AS regrets, array_agg(d.resolved ORDER BY d.local_date) AS resolved
        FROM (
            SELECT d.local_date, d.score, COUNT(r.id) AS regrets, COUNT(r.id) FILTER (WHERE r.success) AS resolved
            FROM (
                SELECT DISTINCT ON (local_date) {LOCAL_DATE_SQL} AS local_date, c.id, c.score
                FROM rr_checklist c
                WHERE c.user_id = u.id AND c.created_at >= %(since)s
                ORDER BY local_date, c.created_at, c.id
            ) d
            LEFT JOIN rr_regret r ON r.checklist_id = d.id
            GROUP BY d.local_date, d.id, d.score
        ) d
    ) w
    WHERE u.id = %(user)s
"""


def history(*, user: User, days: int, now: datetime | None = None) -> History:
    """The user's last `days` local days (newest first) with their streaks and strength.

    One query: the streaks and strength from the user's summary row (summary_stats), the
    window's days from rr_checklist. A user without a trusted row, or whose strength is
    at a 4-place tie, is read whole (_raw_history, one more query).
    """
    now = now or timezone.now()
    # A checklist of local day D was made within D - 14 h .. D + 1 day + 12 h (UTC), and
    # today is at least yesterday in UTC: three more days hold every day of the window.
    since = now - timedelta(days=days + 3)
    with connections[router.db_for_read(Checklist)].cursor() as cursor:
        cursor.execute(_WINDOW_SQL, {"user": user.pk, "since": since})
        row = cursor.fetchone()
    stats = summary_stats(row[: len(SUMMARY_KEYS)], now) if row is not None else None
    if stats is None:
        today, by_date, current, longest, value = _raw_history(user, now)
    else:
        today, current, longest, value = stats.today, stats.current_streak, stats.longest_streak, stats.strength
        dates, scores, regrets, resolved = row[len(SUMMARY_KEYS) :]
        by_date = {
            local_date: Day(local_date, score, count, done)
            for local_date, score, count, done in zip(
                dates or (), scores or (), regrets or (), resolved or (), strict=True
            )
        }
    window = [today - timedelta(days=back) for back in range(days)]
    return History(
        today=today,
        days=[by_date.get(day, Day(day, None, 0, 0)) for day in window],
        current_streak=current,
        longest_streak=longest,
        strength=value,
    )
