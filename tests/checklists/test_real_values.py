"""Streaks at their real values: a one-day gap inside a longest streak, and current/longest streak
against a plain day-by-day walk (hypothesis), on pure calendars and on histories stored through the
services. (The nudge limit's: tests/notifications/test_nudges.py.)"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rr.checklists import days
from rr.checklists import services as checklist_services
from tests.support.days import days_ago

TODAY = date(2026, 6, 30)


def walk(kept_dates, today):
    """(current, longest) by walking every day from the first kept one to today, one at a time."""
    if not kept_dates:
        return 0, 0
    run = longest = 0
    runs = {}
    day = min(kept_dates)
    while day <= today:
        run = run + 1 if day in kept_dates else 0
        longest = max(longest, run)
        runs[day] = run
        day += timedelta(days=1)
    current = runs[today] if today in kept_dates else runs.get(today - timedelta(days=1), 0)
    return current, longest


# Streaks ----------------------------------------------------------------------------------


def test_a_one_day_gap_splits_the_longest_streak():
    before_gap = {TODAY - timedelta(days=d) for d in range(10, 13)}  # 3 days
    after_gap = {TODAY - timedelta(days=d) for d in range(5, 9)}  # 4 days, then the gap of day 9
    assert days.streaks(before_gap | after_gap, TODAY) == (0, 4)


@pytest.mark.django_db
def test_a_one_day_gap_splits_the_longest_streak_in_the_history(client, user, day):
    for back in (12, 11, 10, 8, 7):  # day 9 missed: runs of 3 and 2, not one of 5
        day(user, days_ago(back), total=1, resolved=1)
    day(user, days_ago(9), total=2, resolved=1)  # a checklist, but not kept

    body = client.get("/api/checklists/history/").json()

    assert (body["current_streak"], body["longest_streak"]) == (0, 3)


@given(
    kept=st.sets(st.integers(min_value=0, max_value=60), max_size=61),
)
def test_streaks_equal_a_day_by_day_walk(kept):
    kept_dates = {TODAY - timedelta(days=back) for back in kept}
    assert days.streaks(kept_dates, TODAY) == walk(kept_dates, TODAY)


@pytest.mark.django_db
@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.dictionaries(
        st.integers(min_value=0, max_value=14),  # days ago
        st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=3)),  # total, resolved
        max_size=15,
    )
)
def test_stored_histories_agree_with_the_walk(make_user, history):
    user = make_user()  # a new user for each example: the examples share the test's transaction
    now = timezone.now()
    kept_dates = set()
    for back, (total, resolved) in history.items():
        on = (now - timedelta(days=back)).date()
        at = min(datetime(on.year, on.month, on.day, 12, tzinfo=UTC), now)
        checklist, _ = checklist_services.checklist_for_day(user=user, local_datetime=at)
        regrets = [
            checklist_services.regret_add(user=user, checklist_id=checklist.pk, description=f"r{i}", at=at)[0]
            for i in range(total)
        ]
        for regret in regrets[: min(resolved, total)]:
            checklist_services.regret_resolve(
                user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True, at=at
            )
        if total and resolved >= total:  # daily_goal 0: kept when everything is done
            kept_dates.add(on)
    today = now.astimezone(UTC).date()

    found = days.history(user=user, days=1, now=now)
    stats = days.user_stats(user, now=now)

    assert (found.current_streak, found.longest_streak) == walk(kept_dates, today)
    assert (stats.current_streak, stats.kept_today) == (walk(kept_dates, today)[0], today in kept_dates)
