"""Streaks and strength as pure functions (rr.checklists.days), on hand-made calendars."""

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rr.checklists import days

TODAY = date(2026, 6, 30)


def run(length, *, ending=TODAY):
    return {ending - timedelta(days=i) for i in range(length)}


def test_today_not_yet_kept_does_not_break_the_streak():
    kept = run(5, ending=TODAY - timedelta(days=1))
    assert days.streaks(kept, TODAY) == (5, 5)
    assert days.streaks(kept | {TODAY}, TODAY) == (6, 6)


def test_a_missed_yesterday_ends_the_current_streak_but_not_the_longest():
    kept = run(7, ending=TODAY - timedelta(days=3)) | {TODAY}
    assert days.streaks(kept, TODAY) == (1, 7)
    assert days.streaks(set(), TODAY) == (0, 0)


def test_strength_follows_loops_formula():
    m = 0.5 ** (1 / 13)
    assert days.strength({TODAY}, TODAY, TODAY) == Decimal(str(round(1 - m, 4)))
    # 13 kept days from nothing: 1 - m**13 = 0.5.
    assert days.strength(run(13), TODAY - timedelta(days=12), TODAY) == Decimal("0.5000")
    assert days.strength(set(), TODAY - timedelta(days=100), TODAY) == Decimal("0")
    assert days.strength(set(), None, TODAY) == Decimal("0")


def test_one_missed_day_after_a_long_run_costs_little():
    start = TODAY - timedelta(days=364)
    full = days.strength(run(365), start, TODAY)
    one_missed = days.strength(run(365) - {TODAY - timedelta(days=1)}, start, TODAY)
    assert full == Decimal("1.0000")
    assert Decimal("0.94") < one_missed < full  # costs 1 - m, then recovers
    # whereas the streak falls to 1
    assert days.streaks(run(365) - {TODAY - timedelta(days=1)}, TODAY)[0] == 1


def test_today_counts_for_strength_only_once_kept():
    start = TODAY - timedelta(days=9)
    kept_before = run(9, ending=TODAY - timedelta(days=1))
    assert days.strength(kept_before, start, TODAY) < days.strength(kept_before | {TODAY}, start, TODAY)
    # not kept today is not a miss yet: same as the score as of yesterday
    assert days.strength(kept_before, start, TODAY) == days.strength(kept_before, start, TODAY - timedelta(days=1))


def _strength_day_by_day(kept, first, today):
    """The module docstring's recurrence, walked a day at a time: what days.strength must equal."""
    m = days.STRENGTH_MULTIPLIER
    value, day = 0.0, first
    while day < today:
        value = value * m + (1 - m) * (day in kept)
        day += timedelta(days=1)
    if today in kept:
        value = value * m + (1 - m)
    return Decimal(repr(min(max(value, 0.0), 1.0))).quantize(days.STRENGTH_PLACES, rounding=ROUND_HALF_UP)


@settings(max_examples=300, deadline=None)
@given(
    history=st.integers(min_value=0, max_value=400),
    kept_offsets=st.sets(st.integers(min_value=0, max_value=405), max_size=120),
)
def test_strength_equals_the_day_by_day_recurrence(history, kept_offsets):
    first = TODAY - timedelta(days=history)
    kept = {TODAY - timedelta(days=offset) for offset in kept_offsets}
    # Kept days before `first` (outside the window a list reads) count for neither.
    assert days.strength(kept, first, TODAY) == _strength_day_by_day(kept, first, TODAY)


def test_a_tie_rounds_half_up_whatever_the_order_of_the_kept_days():
    # 65 kept days in a row from the first: 1 - m ** 65 = 1 - 0.5 ** 5 = 0.96875 exactly,
    # a tie at 4 places; summed in a set's order the float's last bit could round it down.
    for seed in range(20):
        kept = sorted(run(65))
        random.Random(seed).shuffle(kept)  # the orders a set of dates may come in
        assert days.strength(kept, TODAY - timedelta(days=64), TODAY) == Decimal("0.9688"), seed
