"""The list entries' issue-12 fields: current_streak, strength, nudged_today, in a fixed number of queries."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts.models import User
from rr.checklists import days
from rr.checklists.models import Checklist, Regret
from rr.network.models import Network
from rr.notifications import services as notification_services
from rr.notifications.models import Nudge
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


def _followed_with_history(viewer, n, *, kept_days):
    """n users the viewer follows, each with `kept_days` kept days ending yesterday; a third private."""
    users = User.objects.bulk_create(
        User(username=f"{viewer.username}_f{i}", password="!", allow_networking=i % 3 != 0) for i in range(n)
    )
    Network.objects.bulk_create(Network(follower=viewer, following=u) for u in users)
    now = datetime.now(UTC).replace(hour=12)
    made = Checklist.objects.bulk_create(
        Checklist(user=u, created_at=now - timedelta(days=back), score=Decimal("0"))
        for u in users
        for back in range(1, kept_days + 1)
    )
    Regret.objects.bulk_create(Regret(checklist=c, description="x", success=True) for c in made)
    return users


def _list(viewer):
    client = client_for(viewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/network/list/following/", {"page_size": 1000})
    assert response.status_code == 200
    return len(queries), response.json()["users"]


def test_streak_and_strength_add_no_query_per_entry(make_user):
    small, large = make_user(password=None), make_user(password=None)
    _followed_with_history(small, 10, kept_days=3)
    _followed_with_history(large, 1000, kept_days=3)

    small_queries, small_users = _list(small)
    large_queries, large_users = _list(large)

    assert len(small_users) == 10 and len(large_users) == 1000
    assert small_queries == large_queries <= 5

    for entry in large_users:
        if entry["allow_networking"]:
            assert entry["current_streak"] == 3 and 0.14 < entry["strength"] < 0.15
        else:
            assert entry["current_streak"] is None and entry["strength"] is None
        assert entry["nudged_today"] is False
    print(f"\nlist with streaks: {small_queries} queries for 10 entries, {large_queries} for 1,000")


def test_a_streak_longer_than_the_window_is_read_in_full_with_one_more_query(make_user):
    viewer = make_user()
    long_run = days.WINDOW_DAYS + 20
    _followed_with_history(viewer, 2, kept_days=long_run)
    queries, users = _list(viewer)
    visible = [u for u in users if u["allow_networking"]]
    assert visible and all(u["current_streak"] == long_run for u in visible)
    assert all(u["strength"] == 1.0 for u in visible)


def test_nudged_today_says_whether_you_nudged_them_on_their_local_day(make_user, follow):
    me, a, b = make_user(), make_user(), make_user()
    follow(me, a)
    follow(me, b)
    notification_services.nudge_send(sender=me, recipient=a)

    _, users = _list(me)

    assert {u["username"]: u["nudged_today"] for u in users} == {a.username: True, b.username: False}


def test_kept_today_says_whether_a_nudge_would_be_refused(make_user, follow, day):
    me, kept, open_, private = make_user(), make_user(), make_user(), make_user()
    for friend in (kept, open_, private):
        follow(me, friend)
    today = datetime.now(UTC).date()
    day(kept, today, total=1, resolved=1)
    day(open_, today, total=2, resolved=1)
    day(private, today, total=1, resolved=1)
    private.allow_networking = False
    private.save(update_fields=["allow_networking"])

    _, users = _list(me)

    assert {u["username"]: u["kept_today"] for u in users} == {
        kept.username: True,
        open_.username: False,
        private.username: None,  # withheld, as its regret_index
    }
    refused = client_for(me).post(f"/api/network/nudges/{kept.username}/")
    assert refused.status_code == 409 and refused.json()["code"] == "already_kept_today"


def test_nudged_today_holds_for_a_friend_a_day_ahead_of_utc_and_not_for_their_day_before(
    clock, make_user, follow, checklist
):
    me, ahead, earlier = make_user(), make_user(), make_user()
    follow(me, ahead)
    follow(me, earlier)
    plus_14 = timezone(timedelta(hours=14))
    now_there = datetime.now(plus_14)
    checklist(ahead, now_there, total=2, resolved=1)  # their local today, not kept: a nudge is allowed
    notification_services.nudge_send(sender=me, recipient=ahead)
    assert Nudge.objects.get(sender=me, recipient=ahead).local_date == now_there.date()
    # A nudge of `earlier`'s day before today (sent yesterday) is not today's.
    checklist(earlier, datetime.now(UTC), total=2, resolved=1)
    Nudge.objects.create(
        sender=me, recipient=earlier, local_date=datetime.now(UTC).date() - timedelta(days=1),
        created_at=datetime.now(UTC) - timedelta(days=1),
    )  # fmt: skip

    _, users = _list(me)

    assert {u["username"]: u["nudged_today"] for u in users} == {ahead.username: True, earlier.username: False}
