"""network_follower_remove, through DELETE /api/network/followers/<username>/."""

import pytest

from rr.network.models import Network
from tests.network.helpers import LEGACY_NAMES, url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts

pytestmark = pytest.mark.django_db


def test_removing_a_follower_deletes_their_link_only(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(them, me)
    follow(me, them)
    response = client_for(me).delete(url("follower", them.username))
    assert response.status_code == 200
    assert them.username in response.json()["message"]
    assert not Network.objects.filter(follower=them, following=me).exists()
    assert Network.objects.filter(follower=me, following=them).exists()
    assert counts(me) == (0, 1)
    assert counts(them) == (1, 0)


def test_remove_follower_needs_a_token(api, make_user):
    assert api.delete(url("follower", make_user(password=None).username)).status_code == 401


@pytest.mark.parametrize("case", ["unknown", "not_a_follower", "only_followed_by_me", "too_long"])
def test_nobody_to_remove_is_an_error(make_user, follow, case):
    me, them = make_user(password=None), make_user(password=None)
    if case == "only_followed_by_me":
        follow(me, them)
    name = {"unknown": "nobody_here", "too_long": "a" * 256}.get(case, them.username)
    response = client_for(me).delete(url("follower", name))
    assert response.status_code == (400 if case == "too_long" else 404)
    assert "error" in response.json()
    assert Network.objects.count() == (1 if case == "only_followed_by_me" else 0)
    assert_counts_exact()


@pytest.mark.parametrize("name", LEGACY_NAMES[:3])
def test_legacy_followers_can_be_removed(make_user, legacy_user, follow, name):
    me, them = make_user(password=None), legacy_user(name)
    follow(them, me)
    assert client_for(me).delete(url("follower", name)).status_code == 200
    assert counts(me) == (0, 0)
