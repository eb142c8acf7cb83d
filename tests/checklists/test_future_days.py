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


@pytest.mark.parametrize(
    "local_datetime",
    [
        "9998-06-19T12:00:00+00:00",
        (datetime.now(UTC) + timedelta(minutes=11)).isoformat(),
        (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "2025-06-19T12:00:00+23:59",
        "2025-06-19T12:00:00+14:01",
        "2025-06-19T12:00:00-12:01",
    ],
)
def test_future_days_and_impossible_offsets_are_400_and_create_nothing(user, local_datetime):
    response = _post(user, local_datetime)
    assert response.status_code == 400, response.json()
    assert response.json()["error"].startswith("local_datetime")
    assert not Checklist.objects.exists()


@pytest.mark.parametrize(
    "local_datetime",
    [
        # A phone's clock a few minutes fast, and the extreme real offsets (Kiribati, Baker Island).
        (datetime.now(UTC) + timedelta(minutes=9)).isoformat(),
        datetime.now(UTC).astimezone(timezone.get_fixed_timezone(14 * 60)).isoformat(),
        datetime.now(UTC).astimezone(timezone.get_fixed_timezone(-12 * 60)).isoformat(),
    ],
)
def test_now_within_the_tolerance_and_extreme_offsets_are_accepted(user, local_datetime):
    assert _post(user, local_datetime).status_code == 201


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
