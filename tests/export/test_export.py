"""GDPR: GET /auth/user/export/ (rr/export) holds everything stored about the account."""

from datetime import UTC, datetime

import pytest

from rr.accounts import services
from rr.checklists import services as checklist_services
from rr.network import services as network_services
from tests.support.clients import client_with_token


def _client(user):
    return client_with_token(services.tokens_for(user)["access"])


@pytest.mark.django_db
def test_the_export_holds_the_account_its_checklists_and_both_sides_of_its_network(make_user):
    me, friend, fan = make_user("exporter"), make_user("friend_x"), make_user("fan_x")
    network_services.network_follow(follower=me, target=friend)
    network_services.network_follow(follower=fan, target=me)
    day = datetime(2025, 6, 19, 12, tzinfo=UTC)
    checklist, _ = checklist_services.checklist_for_day(user=me, local_datetime=day)
    regret, _ = checklist_services.regret_add(user=me, checklist_id=checklist.pk, description="call mum")
    checklist_services.regret_resolve(user=me, checklist_id=checklist.pk, regret_id=regret.pk, success=True)
    checklist_services.checklist_for_day(user=friend, local_datetime=day)  # not mine: not exported

    response = _client(me).get("/auth/user/export/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"account", "checklists", "following", "followers"}
    assert body["account"]["username"] == "exporter" and body["account"]["password_set"] is True
    assert (body["account"]["followers_count"], body["account"]["following_count"]) == (1, 1)
    [exported] = body["checklists"]
    assert exported["id"] == checklist.pk and exported["score"] == 0.0
    assert exported["regrets"] == [
        {"id": regret.pk, "description": "call mum", "created_at": regret.created_at.isoformat(), "success": True}
    ]
    assert [entry["username"] for entry in body["following"]] == ["friend_x"]
    assert [entry["username"] for entry in body["followers"]] == ["fan_x"]
    assert body["following"][0]["since"]
    text = response.content.decode()
    assert me.password not in text and "refresh_jti_hash" not in text
