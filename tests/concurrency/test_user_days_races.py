"""rr_user_days under concurrent writes of one user: real threads, separate connections.

A write's trigger row-locks the user's summary and recomputes it in a later statement
(migration 0013): a second write of the same user waits for the first to commit and
then sees it. Were the lock and the computation one statement (or the lock missing),
the second would compute without the first and overwrite it: a drift.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret
from rr.ops import user_days
from tests.support.threads import barrier, in_thread, joined
from tests.support.user_days import days_drift

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _day(user, back, score):
    at = NOW - timedelta(days=back)
    made = Checklist.objects.create(user=user, created_at=at, score=score, local_date=at.date(), utc_offset_minutes=0)
    Regret.objects.create(checklist=made, description="r", created_at=at)
    return made


def _drift(user):
    with connection.cursor() as cursor:
        return days_drift(cursor, user.pk)


def _in_open_transaction(update, held, release):
    """Run `update` in a transaction, tell `held` it ran (its trigger holds the lock), commit after `release`."""

    def work():
        with transaction.atomic():
            update()
            held.wait()
            release.wait()

    return in_thread(work)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "second",
    ["another day's score", "the daily goal", "a new checklist", "a regret removed"],
)
def test_a_second_write_of_the_same_user_waits_and_sees_the_first(second):
    user = User.objects.create(username="racer", daily_goal=Decimal("0.5"))
    first_day, second_day = _day(user, 1, "1"), _day(user, 2, "1")
    assert _drift(user) is None
    held, release = barrier(2), barrier(2)
    # The first write keeps yesterday (score 1 -> 0) and stays uncommitted.
    thread, outcome = _in_open_transaction(
        lambda: Checklist.objects.filter(pk=first_day.pk).update(score=0), held, release
    )
    held.wait()
    second_write = {
        "another day's score": lambda: Checklist.objects.filter(pk=second_day.pk).update(score=0),
        "the daily goal": lambda: User.objects.filter(pk=user.pk).update(daily_goal=Decimal("1")),
        "a new checklist": lambda: _day(user, 3, "0"),
        "a regret removed": lambda: Regret.objects.filter(checklist=second_day).delete(),
    }[second]
    other, other_outcome = in_thread(second_write)  # blocks on the first's lock
    release.wait()
    joined(thread, outcome)
    joined(other, other_outcome)
    assert _drift(user) is None


@pytest.mark.django_db(transaction=True)
def test_the_repair_runs_beside_writers_and_leaves_no_drift():
    users = [User.objects.create(username=f"busy_{i}", daily_goal=Decimal("0.5")) for i in range(6)]
    days = {user.pk: [_day(user, back, "1") for back in range(1, 6)] for user in users}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rr_user_days")  # as before the backfill
    start = barrier(2)

    def writer():
        start.wait()
        for round_ in range(4):
            for user in users:
                for made in days[user.pk]:
                    Checklist.objects.filter(pk=made.pk).update(score=round_ % 2)

    thread, outcome = in_thread(writer)
    start.wait()
    report = user_days.user_days_repair(scan_size=2, batch_size=1)
    joined(thread, outcome, timeout=120)
    assert report.differing >= 1
    assert [user.pk for user in users if _drift(user)] == []
