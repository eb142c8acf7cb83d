"""network_target_check, through GET /api/network/validate/<username>/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.network import services
from tests.network.helpers import LEGACY_NAMES, url
from tests.support.clients import client_for
from tests.support.responses import assert_refused

pytestmark = pytest.mark.django_db


def test_a_followable_user_is_described(make_user):
    me, them = make_user(password=None), make_user(password=None)
    response = client_for(me).get(url("validate", them.username))
    assert response.status_code == 200
    assert response.json() == {
        "username": them.username,
        "user_id": them.pk,
        "allow_networking": True,
        "requires_approval": False,
    }


def test_validate_needs_a_token(api, make_user):
    them = make_user(password=None)
    response = api.get(url("validate", them.username))
    assert_refused(response, 401)
    assert "error" in response.json()


def test_a_name_no_user_can_have_is_400(make_user):
    me = make_user(password=None)
    response = client_for(me).get(url("validate", "a" * 256))
    assert response.status_code == 400
    assert "error" in response.json()


def test_networking_off_is_403(make_user):
    me, them = make_user(password=None), make_user(password=None, allow_networking=False)
    response = client_for(me).get(url("validate", them.username))
    assert_refused(response, 403)
    assert "networking" in response.json()["error"]


@pytest.mark.parametrize("name", ["nobody_here", "BOB"])
def test_an_unknown_user_is_404(make_user, legacy_user, name):
    me = make_user(password=None)
    legacy_user("bob"), legacy_user("Bob")  # `BOB` could be either: it names neither
    response = client_for(me).get(url("validate", name))
    assert_refused(response, 404)
    assert response.json()["code"] == "user_not_found"


def test_usernames_are_looked_up_as_sign_up_compares_them(make_user, legacy_user):
    # Exact first, else a unique case-insensitive match (accounts.selectors.user_by_username).
    me = make_user(password=None)
    alice, upper_bob, bob = legacy_user("alice"), legacy_user("Bob"), legacy_user("bob")
    client = client_for(me)

    assert client.get(url("validate", "ALICE")).json()["user_id"] == alice.pk
    assert client.get(url("validate", "Bob")).json()["user_id"] == upper_bob.pk
    assert client.get(url("validate", "bob")).json()["user_id"] == bob.pk
    followed = client.post(url("follow", "Alice"))
    assert followed.status_code == 201 and followed.json()["following"]["username"] == "alice"


def test_an_inactive_user_is_404(make_user):
    me, them = make_user(password=None), make_user(password=None, is_active=False)
    response = client_for(me).get(url("validate", them.username))
    assert_refused(response, 404)


def test_self_is_409(make_user):
    me = make_user(password=None)
    response = client_for(me).get(url("validate", me.username))
    assert_refused(response, 409)
    assert "yourself" in response.json()["error"]


def test_already_following_is_409(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    response = client_for(me).get(url("validate", them.username))
    assert_refused(response, 409)
    assert "already" in response.json()["error"]


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_legacy_names_work_in_the_path(make_user, legacy_user, name):
    me, them = make_user(password=None), legacy_user(name)
    response = client_for(me).get(url("validate", name))
    assert response.status_code == 200
    assert response.json()["user_id"] == them.pk
    assert response.json()["username"] == name


def test_the_check_itself_names_the_reason(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    assert services.network_target_check(user=me, target=them) is None
    assert services.network_target_check(user=me, target=me).status_code == 409
    follow(me, them)
    assert services.network_target_check(user=me, target=them).status_code == 409


def test_validate_reads_the_target_once(make_user):
    # The token's user, the name, the link and the block: follow_approval comes with the name.
    me, them = make_user(password=None), make_user(password=None)
    client = client_for(me)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("validate", them.username)).json()["requires_approval"] is False
    assert len(queries) == 4, [query["sql"] for query in queries]
