"""No checklist for a future day: local_datetime beyond the server's clock + 10 min, or an
offset outside -12:00..+14:00, is a 400; the lists' regret_index never reads a future row."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rr.checklists.models import Checklist
from rr.network import services as network_services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/checklists/"


def _post(user, local_datetime):
    return client_for(user).post(URL, {"local_datetime": local_datetime}, format="json")


def _from_now(delta, offset_minutes=0):
    # Computed when the test runs, not when it is collected (a run takes minutes).
    return lambda: (datetime.now(UTC) + delta).astimezone(timezone.get_fixed_timezone(offset_minutes)).isoformat()


@pytest.mark.parametrize(
    "local_datetime",
    [
        "9998-06-19T12:00:00+00:00",
        _from_now(timedelta(minutes=11)),
        _from_now(timedelta(days=1)),
        "2025-06-19T12:00:00+23:59",
        "2025-06-19T12:00:00+14:01",
        "2025-06-19T12:00:00-12:01",
    ],
    ids=["year_9998", "in_11_minutes", "tomorrow", "plus_23_59", "plus_14_01", "minus_12_01"],
)
def test_future_days_and_impossible_offsets_are_400_and_create_nothing(user, local_datetime):
    response = _post(user, local_datetime() if callable(local_datetime) else local_datetime)
    assert response.status_code == 400, response.json()
    assert response.json()["error"].startswith("local_datetime")
    assert not Checklist.objects.exists()


@pytest.mark.parametrize(
    "local_datetime",
    [
        # A phone's clock a few minutes fast, and the extreme real offsets (Kiribati, Baker Island).
        _from_now(timedelta(minutes=9)),
        _from_now(timedelta(0), 14 * 60),
        _from_now(timedelta(0), -12 * 60),
    ],
    ids=["in_9_minutes", "plus_14_00", "minus_12_00"],
)
def test_now_within_the_tolerance_and_extreme_offsets_are_accepted(user, local_datetime):
    assert _post(user, local_datetime()).status_code == 201


def test_the_lists_regret_index_ignores_a_future_checklist(make_user):
    me, them = make_user(), make_user()
    network_services.network_follow(follower=me, target=them)
    now = timezone.now().replace(microsecond=0)
    Checklist.objects.create(user=them, created_at=now - timedelta(days=1), score=Decimal("0.5"))
    # What the previous release let a client write: a checklist in year 9998, all ticked.
    Checklist.objects.create(user=them, created_at=datetime(9998, 1, 1, tzinfo=UTC), score=Decimal("0"))

    response = client_for(me).get("/api/network/list/following/")
    [entry] = response.json()["users"]
    assert entry["regret_index"] == 0.5
    assert entry["checklist_created_at"] == (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")

    # The follow's own answer (one user's row) reads the same way.
    network_services.network_unfollow(follower=me, target=them)
    response = client_for(me).post(f"/api/network/follow/{them.username}/")
    assert response.status_code == 201
    assert response.json()["following"]["regret_index"] == 0.5
