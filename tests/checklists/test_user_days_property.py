"""The summary of days (rr_user_days, migration 0013's triggers) against the raw days.

Random histories written the ways the database is written (this release's rows with a
local date and offset, the previous release's rows without, duplicates of one day,
score changes, regrets added and removed, checklists deleted, the daily goal changed),
then read at several instants (days closing in between): the summary's streaks and
strength (days.summary_stats) must equal days.py's computation from the raw days
(_raw_history, the history's definition), and history() must equal it whichever path
it takes.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr.accounts.models import User
from rr.checklists import days
from rr.checklists.models import Checklist, Regret
from tests.support.user_days import days_drift

NOW = datetime(2026, 6, 30, 15, 0, tzinfo=UTC)
# The instants read: now, across the day close of some offsets, a day and three days on.
READ_AT = [NOW, NOW + timedelta(hours=9, minutes=30), NOW + timedelta(days=1), NOW + timedelta(days=3)]
GOALS = [Decimal("0"), Decimal("0.5"), Decimal("1")]
SCORES = [Decimal("0"), Decimal("0.25"), Decimal("0.5"), Decimal("1")]
OFFSETS = [None, -720, -300, 0, 330, 840]  # None: the previous release's row (no local date)

checklist_made = st.tuples(
    st.just("checklist"),
    st.integers(min_value=0, max_value=45),  # days back from NOW
    st.integers(min_value=0, max_value=23),  # hour (UTC)
    st.sampled_from(OFFSETS),
    st.sampled_from(SCORES),
    st.integers(min_value=0, max_value=2),  # regrets
)
change = st.one_of(
    checklist_made,
    st.tuples(st.just("score"), st.integers(min_value=0), st.sampled_from(SCORES)),
    st.tuples(st.just("delete"), st.integers(min_value=0)),
    st.tuples(st.just("regret"), st.integers(min_value=0)),
    st.tuples(st.just("unregret"), st.integers(min_value=0)),
    st.tuples(st.just("goal"), st.sampled_from(GOALS)),
)


def _apply(user, step):
    kind, *args = step
    made = list(Checklist.objects.filter(user=user).order_by("id"))
    if kind == "checklist":
        back, hour, offset, score, regrets = args
        at = (NOW - timedelta(days=back)).replace(hour=hour)
        if offset is None:  # the previous release's INSERT names neither column
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO rr_checklist (user_id, created_at, score, completed) VALUES (%s, %s, %s, false)"
                    " RETURNING id",
                    [user.pk, at, score],
                )
                checklist_id = cursor.fetchone()[0]
        else:
            local = at + timedelta(minutes=offset)
            checklist_id = Checklist.objects.create(
                user=user, created_at=at, score=score, local_date=local.date(), utc_offset_minutes=offset
            ).pk
        Regret.objects.bulk_create(
            Regret(checklist_id=checklist_id, description=f"r{i}", created_at=at) for i in range(regrets)
        )
    elif kind == "goal":
        User.objects.filter(pk=user.pk).update(daily_goal=args[0])
    elif made:
        target = made[args[0] % len(made)]
        if kind == "score":
            Checklist.objects.filter(pk=target.pk).update(score=args[1])
        elif kind == "delete":
            target.delete()
        elif kind == "regret":
            Regret.objects.create(checklist=target, description="late", created_at=target.created_at)
        elif kind == "unregret":
            Regret.objects.filter(pk__in=Regret.objects.filter(checklist=target).values("pk")[:1]).delete()


def _summary(user):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {days.SUMMARY_COLUMNS} FROM rr_user u {days.SUMMARY_JOIN} WHERE u.id = %s", [user.pk])
        return cursor.fetchone()


def assert_summary_exact(user):
    """The user's summary says what the raw days say, at every instant of READ_AT."""
    user.refresh_from_db()
    with connection.cursor() as cursor:
        assert days_drift(cursor, user.pk) is None  # the row is what the rule computes now (no write was missed)
    summary = _summary(user)
    assert summary[0], "a user with days has a row; one without needs none"
    for now in READ_AT:
        today, by_date, current, longest, strength = days._raw_history(user, now)
        stats = days.summary_stats(summary, now)
        if stats is not None:  # None: at a 4-place tie, the raw days decide (history() does)
            assert (stats.today, stats.current_streak, stats.longest_streak, stats.strength) == (
                today,
                current,
                longest,
                strength,
            ), now
        found = days.history(user=user, days=40, now=now)
        assert (found.today, found.current_streak, found.longest_streak, found.strength) == (
            today,
            current,
            longest,
            strength,
        ), now
        assert found.days == [
            by_date.get(today - timedelta(days=b), days.Day(today - timedelta(days=b), None, 0, 0)) for b in range(40)
        ]


_serial = iter(range(10**9))


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(goal=st.sampled_from(GOALS), steps=st.lists(change, max_size=25))
def test_the_summary_equals_the_raw_days_over_random_histories(goal, steps):
    user = User.objects.create(username=f"prop_{next(_serial)}", daily_goal=goal)
    for step in steps:
        _apply(user, step)
    assert_summary_exact(user)


@pytest.mark.django_db
def test_a_long_perfect_run_and_a_tie():
    # 65 kept days from the first: strength 1 - 0.5 ** 5 = 0.96875 exactly, a 4-place tie
    # the summary leaves to the raw days; 400 days: a streak past any window.
    for length in (65, 400):
        user = User.objects.create(username=f"run_{length}", daily_goal=Decimal("0.5"))
        for back in range(length):
            made = Checklist.objects.create(
                user=user,
                created_at=NOW - timedelta(days=back),
                score=0,
                local_date=(NOW - timedelta(days=back)).date(),
                utc_offset_minutes=0,
            )
            Regret.objects.create(checklist=made, description="r", created_at=made.created_at)
        assert_summary_exact(user)
        assert days.history(user=user, days=1, now=NOW).current_streak == length
    assert days.history(user=User.objects.get(username="run_65"), days=1, now=NOW).strength == Decimal("0.9688")
    assert date(2026, 6, 30) == NOW.date()
