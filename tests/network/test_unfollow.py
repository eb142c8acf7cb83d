"""network_unfollow, through DELETE /api/network/unfollow/<username>/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rr.accounts import services as account_services
from rr.network import services
from rr.network.models import Network
from tests.network.helpers import LEGACY_NAMES, url
from tests.support import queries
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts

pytestmark = pytest.mark.django_db


def test_unfollow_removes_the_link_and_moves_both_counts(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    follow(them, me)
    response = client_for(me).delete(url("unfollow", them.username))
    assert response.status_code == 200
    assert set(response.json()) == {"message"}
    assert not Network.objects.filter(follower=me, following=them).exists()
    assert Network.objects.filter(follower=them, following=me).exists()
    assert counts(me) == (1, 0)
    assert counts(them) == (0, 1)


def test_unfollow_needs_a_token(api, make_user):
    response = api.delete(url("unfollow", make_user(password=None).username))
    assert response.status_code == 401


@pytest.mark.parametrize("case", ["unknown", "not_following", "followed_by_them_only", "self", "twice"])
def test_nothing_to_unfollow_is_404(make_user, follow, case):
    me, them = make_user(password=None), make_user(password=None)
    name = {"unknown": "nobody_here", "self": me.username}.get(case, them.username)
    if case == "followed_by_them_only":
        follow(them, me)
    if case == "twice":
        follow(me, them)
        assert client_for(me).delete(url("unfollow", name)).status_code == 200
    response = client_for(me).delete(url("unfollow", name))
    assert response.status_code == 404
    assert "error" in response.json()
    assert_counts_exact()


def test_an_inactive_user_can_still_be_unfollowed(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    account_services.user_deactivate(user=them)
    assert client_for(me).delete(url("unfollow", them.username)).status_code == 200
    assert counts(them) == (0, 0)


def test_a_user_with_networking_off_can_still_be_unfollowed(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    services.networking_set(user=them, allow=False)
    assert client_for(me).delete(url("unfollow", them.username)).status_code == 200
    assert counts(them) == (0, 0)


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_legacy_names_can_be_unfollowed(make_user, legacy_user, follow, name):
    me, them = make_user(password=None), legacy_user(name)
    follow(me, them)
    assert client_for(me).delete(url("unfollow", name)).status_code == 200
    assert counts(them) == (0, 0)


def test_an_unfollow_is_one_round_trip_after_the_authentication(make_user, follow):
    # The user the path names is found by the unfollow's own query string
    # (rr.network.links.link_delete_named), not by a look-up of its own.
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    client = client_for(me)
    with CaptureQueriesContext(connection) as captured:
        response = client.delete(url("unfollow", them.username.upper()))
    assert response.status_code == 200
    assert response.json() == {"message": f"You no longer follow {them.username}."}
    assert len(queries.sent(captured)) == 2  # the token's user and session; the unfollow
    assert counts(them) == (0, 0)


def test_the_refusals_name_the_user_as_stored(make_user, legacy_user, follow):
    me = make_user(password=None)
    legacy_user("Bob"), legacy_user("bob")
    alice = legacy_user("alice")
    client = client_for(me)
    for name in ("BOB", "nobody_here"):
        response = client.delete(url("unfollow", name))
        assert response.status_code == 404
        assert (response.json()["code"], response.json()["error"]) == ("user_not_found", "No such user.")
    response = client.delete(url("unfollow", "ALICE"))
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["error"]) == ("not_following", "You do not follow alice.")
    follow(me, alice)
    assert client.delete(url("unfollow", "ALICE")).json() == {"message": "You no longer follow alice."}


def test_an_unknown_name_after_an_unfollow_in_the_same_transaction_is_still_unknown(make_user, follow):
    # The found user is handed from the lock to the DELETE as a setting of the transaction
    # (set_config(..., true)): here every request runs in the test's one transaction, and
    # the setting one unfollow wrote must not stand for the next one's unknown name.
    me, them, other = make_user(password=None), make_user(password=None), make_user(password=None)
    follow(me, them)
    follow(me, other)
    client = client_for(me)
    assert connection.in_atomic_block
    assert client.delete(url("unfollow", them.username)).status_code == 200
    response = client.delete(url("unfollow", "nobody_here"))
    assert (response.status_code, response.json()["code"]) == (404, "user_not_found")
    assert Network.objects.filter(follower=me, following=other).exists()
    assert_counts_exact()
