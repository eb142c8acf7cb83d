"""The list's streak fields (days.users_stats, one statement for a page) and the history
(days.history, one user) read the same days by two statements: they must agree on every
kind of day the database holds."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rr.checklists import days
from rr.checklists.models import Checklist, Regret

NOW = datetime(2026, 6, 30, 15, 0, tzinfo=UTC)


def _checklist(user, at, score, *, local_date=None, offset=None, regrets=0):
    """A row as the previous release (local_date None) or this one wrote it."""
    made = Checklist.objects.create(
        user=user, created_at=at, score=Decimal(score), local_date=local_date, utc_offset_minutes=offset
    )
    Regret.objects.bulk_create(Regret(checklist=made, description=f"r{i}", created_at=at) for i in range(regrets))
    return made


def test_the_list_and_the_history_agree_on_every_kind_of_day(make_user):
    legacy = make_user()  # the previous release's rows: no local date, the UTC day counts
    for back in range(1, 20):
        _checklist(legacy, NOW - timedelta(days=back), "0", regrets=2)
    duplicates = make_user()  # two legacy checklists on one day: the earliest decides
    for back in range(1, 6):
        _checklist(duplicates, NOW - timedelta(days=back, hours=2), "0", regrets=1)
        _checklist(duplicates, NOW - timedelta(days=back, hours=1), "0.5", regrets=2)
    _checklist(duplicates, NOW - timedelta(days=3, hours=3), "1", regrets=1)  # earlier still: day 3 not kept
    goal_one = make_user(daily_goal=Decimal("1"))  # a score of 1 is kept with regrets, not without
    for back in range(0, 8):
        _checklist(goal_one, NOW - timedelta(days=back), "1", regrets=0 if back == 4 else 1)
    ahead = make_user()  # this release's rows, a client at +14:00: its today is tomorrow in UTC
    for back in range(0, 10):
        at = NOW - timedelta(days=back)
        _checklist(ahead, at, "0", local_date=(at + timedelta(hours=14)).date(), offset=840, regrets=1)
    long_run = make_user()  # a streak reaching past the list's one-year window
    for back in range(0, days.WINDOW_DAYS + 40):
        _checklist(long_run, NOW - timedelta(days=back), "0", regrets=1)
    nothing = make_user()
    users = [legacy, duplicates, goal_one, ahead, long_run, nothing]

    stats = days.users_stats([user.pk for user in users] + [10**9], now=NOW)  # and an id nobody has

    seen = {}
    for user in users:
        history = days.history(user=user, days=30, now=NOW)
        seen[user.username] = (stats[user.pk].current_streak, stats[user.pk].strength, stats[user.pk].today)
        assert seen[user.username] == (history.current_streak, history.strength, history.today), user.username
    # The cases are what they claim to be (so that agreement is not agreement on zero).
    assert [seen[user.username][0] for user in users] == [19, 2, 4, 10, days.WINDOW_DAYS + 40, 0]
    assert stats[10**9].current_streak == 0
