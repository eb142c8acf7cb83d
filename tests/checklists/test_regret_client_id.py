"""POST /api/checklists/<id>/regrets/ with `client_id`: an idempotency key, so a replay adds nothing twice."""

import uuid

import pytest

from rr.checklists.models import Regret

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(client):
    return client.post("/api/checklists/", {"local_datetime": "2025-06-19T08:00:00+00:00"}, format="json").json()["id"]


def test_the_same_client_id_adds_one_regret(client, day, settings):
    settings.DAY_CLOSE_GRACE_HOURS = 24 * 3650  # the fixed day stays open
    key = str(uuid.uuid4())
    first = client.post(f"/api/checklists/{day}/regrets/", {"description": "Run", "client_id": key}, format="json")
    again = client.post(f"/api/checklists/{day}/regrets/", {"description": "Run", "client_id": key}, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Regret.objects.count() == 1
    other = client.post(
        f"/api/checklists/{day}/regrets/", {"description": "Run", "client_id": str(uuid.uuid4())}, format="json"
    )
    plain = client.post(f"/api/checklists/{day}/regrets/", {"description": "Run"}, format="json")
    assert other.status_code == plain.status_code == 201
    assert Regret.objects.count() == 3


@pytest.mark.parametrize("bad", ["not-a-uuid", 5, True, ""])
def test_a_client_id_that_is_not_a_uuid_is_a_400(client, day, settings, bad):
    settings.DAY_CLOSE_GRACE_HOURS = 24 * 3650
    response = client.post(f"/api/checklists/{day}/regrets/", {"description": "Run", "client_id": bad}, format="json")
    assert response.status_code == 400 and "client_id" in response.json()["fields"]
    assert not Regret.objects.exists()
