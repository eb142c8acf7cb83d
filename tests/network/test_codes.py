"""Refusals of the network, nudge and history endpoints carry their stable `code` (docs/NETWORK.md lists them)."""

import pytest

from tests.api.endpoints import assert_json_error
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unthrottled(unthrottled):
    """Every test here makes more calls than a rate limit allows."""


def test_every_refusal_names_its_code(make_user, follow, day):
    me, friend, stranger = make_user(), make_user(), make_user()
    locked = make_user(follow_approval=True)
    follow(me, friend)
    client = client_for(me)

    assert client.post(f"/api/network/follow/{locked.username}/").status_code == 202
    assert_json_error(client.post(f"/api/network/follow/{locked.username}/"), 409, "request_pending")
    assert_json_error(client.post("/api/network/requests/999999/accept/"), 404, "request_not_found")
    assert_json_error(client.delete("/api/network/requests/999999/"), 404, "request_not_found")
    assert_json_error(client.post(f"/api/network/nudges/{stranger.username}/"), 403, "not_following")
    assert_json_error(client.post(f"/api/network/nudges/{me.username}/"), 400, "cannot_nudge_self")
    assert client.post(f"/api/network/nudges/{friend.username}/").status_code == 201
    assert_json_error(client.post(f"/api/network/nudges/{friend.username}/"), 409, "already_nudged")
    assert_json_error(client.post(f"/api/network/blocks/{me.username}/"), 400, "cannot_block_self")
    assert_json_error(client.delete(f"/api/network/blocks/{stranger.username}/"), 404, "not_blocking")
    assert client.post(f"/api/network/blocks/{stranger.username}/").status_code == 201
    assert_json_error(client.post(f"/api/network/blocks/{stranger.username}/"), 409, "already_blocking")
    assert_json_error(client.get(f"/api/network/validate/{stranger.username}/"), 404, "user_not_found")
    assert_json_error(client_for(stranger).post(f"/api/network/follow/{me.username}/"), 404, "user_not_found")
    assert_json_error(client.get("/api/checklists/history/?days=0"), 400, "invalid_field")
