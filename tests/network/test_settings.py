"""networking_set and settings_update, through GET/PATCH /api/network/settings/ and directly."""

import json
from decimal import Decimal

import pytest

from rr.accounts.models import User
from rr.network import services
from rr.network.models import FollowRequest, Network
from tests.network.helpers import SETTINGS_URL
from tests.support.clients import client_for

pytestmark = pytest.mark.django_db


def test_networking_is_on_by_default(make_user):
    response = client_for(make_user(password=None)).get(SETTINGS_URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"allow_networking", "follow_approval", "daily_goal", "message"}
    assert body["allow_networking"] is True


def test_settings_need_a_token(api):
    assert api.get(SETTINGS_URL).status_code == 401
    assert api.patch(SETTINGS_URL, {"allow_networking": False}, format="json").status_code == 401


def test_switching_off_and_on_is_stored(make_user):
    me = make_user(password=None)
    client = client_for(me)
    response = client.patch(SETTINGS_URL, {"allow_networking": False}, format="json")
    assert response.status_code == 200
    assert response.json()["allow_networking"] is False
    assert User.objects.get(pk=me.pk).allow_networking is False
    assert client.get(SETTINGS_URL).json()["allow_networking"] is False

    response = client.patch(SETTINGS_URL, {"allow_networking": True}, format="json")
    assert response.json()["allow_networking"] is True
    assert User.objects.get(pk=me.pk).allow_networking is True


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"allow_networking": "true"},
        {"allow_networking": "false"},
        {"allow_networking": 1},
        {"allow_networking": 0},
        {"allow_networking": None},
        {"allow_networking": [True]},
        {"other": True},
        [True],
        "true",
    ],
)
def test_anything_but_a_json_boolean_is_400(make_user, body):
    me = make_user(password=None)
    response = client_for(me).patch(SETTINGS_URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert User.objects.get(pk=me.pk).allow_networking is True


def test_malformed_json_is_400(make_user):
    me = make_user(password=None)
    response = client_for(me).patch(SETTINGS_URL, '{"allow_networking": fal', content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_settings_update_turns_networking_off_before_approval_off(make_user):
    """settings_update's one order (the API's PATCH and the web's settings page): networking
    off rejects what is pending, so approval off in the same change accepts nothing."""
    me, asker = make_user(password=None, follow_approval=True), make_user(password=None)
    assert isinstance(services.network_follow(follower=asker, target=me), FollowRequest)
    accepted = services.settings_update(
        user=me, allow_networking=False, follow_approval=False, daily_goal=Decimal("0.5")
    )
    assert accepted == 0
    assert not FollowRequest.objects.exists() and not Network.objects.exists()
    me.refresh_from_db()
    assert (me.allow_networking, me.follow_approval, me.daily_goal) == (False, False, Decimal("0.5"))


def test_settings_update_leaves_what_is_not_given(make_user):
    me = make_user(password=None, follow_approval=True, allow_networking=False)
    assert services.settings_update(user=me, daily_goal=Decimal("0.25")) == 0
    me.refresh_from_db()
    assert (me.allow_networking, me.follow_approval, me.daily_goal) == (False, True, Decimal("0.25"))
