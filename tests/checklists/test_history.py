"""GET /api/checklists/history/: days, streaks, strength, daily_goal, fixed queries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.checklists.models import Checklist, Regret
from tests.support.days import days_ago

pytestmark = pytest.mark.django_db
URL = "/api/checklists/history/"


def test_one_entry_per_local_day_newest_first_with_nulls_on_empty_days(client, user, day):
    day(user, days_ago(0), total=2, resolved=1)
    day(user, days_ago(2), total=4, resolved=4)

    body = client.get(URL, {"days": 3}).json()

    assert [d["date"] for d in body["days"]] == [days_ago(i).isoformat() for i in range(3)]
    assert body["days"][0] == {
        "date": days_ago(0).isoformat(),
        "regret_index": 0.5,
        "regrets": 2,
        "resolved": 1,
        "kept": False,
    }
    assert body["days"][1] == {
        "date": days_ago(1).isoformat(),
        "regret_index": None,
        "regrets": 0,
        "resolved": 0,
        "kept": False,
    }
    assert body["days"][2]["kept"] is True and body["days"][2]["regret_index"] == 0.0
    assert body["current_streak"] == 0 and body["longest_streak"] == 1
    assert 0 < body["strength"] < 0.1
    assert body["daily_goal"] == 0.0


def test_default_is_30_days_and_the_range_is_1_to_366(client):
    assert len(client.get(URL).json()["days"]) == 30
    assert len(client.get(URL, {"days": 1}).json()["days"]) == 1
    assert len(client.get(URL, {"days": 366}).json()["days"]) == 366
    for bad in ["0", "367", "-1", "abc", "²", "1.5", "", "9" * 30]:
        response = client.get(URL, {"days": bad})
        assert response.status_code == 400, bad
        assert "days" in response.json()["error"]


def test_needs_a_token(api):
    assert api.get(URL).status_code == 401


def test_streaks_count_kept_days_and_today_does_not_break_them(client, user, day):
    for back in range(1, 6):
        day(user, days_ago(back))
    day(user, days_ago(8))
    day(user, days_ago(0), total=1, resolved=0)  # today, not yet done

    body = client.get(URL, {"days": 10}).json()

    assert body["current_streak"] == 5 and body["longest_streak"] == 5


def test_a_day_with_no_regrets_is_not_kept(client, user, day):
    day(user, days_ago(1), total=0)
    assert client.get(URL).json()["longest_streak"] == 0


def test_daily_goal_decides_what_is_kept(client, user, day):
    day(user, days_ago(1), total=4, resolved=3)  # 0.25 left
    assert client.get(URL).json()["current_streak"] == 0
    user.daily_goal = Decimal("0.25")
    user.save(update_fields=["daily_goal"])
    assert client.get(URL).json()["current_streak"] == 1


def test_legacy_duplicates_of_a_day_count_once_the_earliest(client, user):
    now = datetime.now(UTC)
    earlier = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))  # still today
    first = Checklist.objects.create(user=user, created_at=earlier, score=Decimal("0"))
    Regret.objects.create(checklist=first, description="a", success=True)
    Checklist.objects.create(user=user, created_at=now, score=Decimal("1"))

    today = client.get(URL, {"days": 1}).json()["days"][0]

    assert today["regret_index"] == 0.0 and today["regrets"] == 1 and today["kept"] is True


def test_a_thousand_days_answer_in_a_fixed_number_of_queries(client, user):
    def fill(n):
        Checklist.objects.filter(user=user).delete()
        now = datetime.now(UTC)
        made = Checklist.objects.bulk_create(
            Checklist(user=user, created_at=now - timedelta(days=i), score=Decimal("0")) for i in range(n)
        )
        Regret.objects.bulk_create(Regret(checklist=c, description="x", success=True) for c in made)

    counts = {}
    for n in (1, 1000):
        fill(n)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(URL, {"days": 366}).json()
        counts[n] = len(queries)
        assert body["current_streak"] == n and body["longest_streak"] == n
    assert counts[1] == counts[1000] <= 3, counts
    assert body["strength"] == 1.0
