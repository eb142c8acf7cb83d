"""networking_set, through GET/PATCH /api/network/settings/."""

import json

import pytest

from rr.accounts.models import User
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
