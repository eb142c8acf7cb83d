"""Blocks: POST/DELETE /api/network/blocks/<username>/, GET /api/network/blocks/."""

from urllib.parse import quote

import pytest

from rr.network.models import Block, FollowRequest, Network
from rr.notifications import services as notification_services
from rr.notifications.models import Nudge
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts

pytestmark = pytest.mark.django_db


def path(name, username):
    return f"/api/network/{name}/{quote(username, safe='')}/"


def test_blocking_ends_links_requests_and_nudges_both_ways(make_user, follow):
    me, them, bystander = make_user(), make_user(), make_user()
    follow(me, them)
    follow(them, me)
    follow(bystander, them)
    notification_services.nudge_send(sender=them, recipient=me)
    locked = make_user(follow_approval=True)
    client_for(locked).patch("/api/network/settings/", {"follow_approval": True}, format="json")
    assert client_for(them).post(path("follow", locked.username)).status_code == 202

    response = client_for(locked).post(path("blocks", them.username))
    assert response.status_code == 201
    assert not FollowRequest.objects.exists()

    response = client_for(me).post(path("blocks", them.username))

    assert response.status_code == 201
    assert not Network.objects.filter(follower__in=[me, them], following__in=[me, them]).exists()
    assert not Nudge.objects.exists()
    assert counts(me) == (0, 0) and counts(them) == (1, 0)
    assert_counts_exact()
    assert client_for(me).post(path("blocks", them.username)).status_code == 409


def test_while_a_block_stands_neither_can_follow_or_see_the_other(make_user):
    me, them = make_user(), make_user()
    client_for(me).post(path("blocks", them.username))

    for actor, other in ((me, them), (them, me)):
        client = client_for(actor)
        for name in ("validate",):
            response = client.get(path(name, other.username))
            assert response.status_code == 404 and response.json()["error"] == "No such user."
        response = client.post(path("follow", other.username))
        assert response.status_code == 404 and response.json()["error"] == "No such user."
    assert not Network.objects.exists() and not FollowRequest.objects.exists()


def test_a_block_stops_requests_to_a_user_with_approval(make_user):
    me, them = make_user(), make_user(follow_approval=True)
    client_for(them).post(path("blocks", me.username))
    assert client_for(me).post(path("follow", them.username)).status_code == 404
    assert not FollowRequest.objects.exists()


def test_unblock_lists_and_errors(make_user, follow):
    me, them, other = make_user(), make_user(), make_user()
    client = client_for(me)
    client.post(path("blocks", them.username))
    client.post(path("blocks", other.username))

    listed = client.get("/api/network/blocks/").json()["blocks"]
    assert [b["username"] for b in listed] == [other.username, them.username]
    assert client_for(them).get("/api/network/blocks/").json()["blocks"] == []

    assert client.delete(path("blocks", them.username)).status_code == 200
    assert client.delete(path("blocks", them.username)).status_code == 404
    assert client.post(path("blocks", me.username)).status_code == 400
    assert client.post(path("blocks", "nobody-here")).status_code == 404
    # Unblocked: they may follow again (links ended by the block do not come back by themselves).
    assert client_for(them).post(path("follow", me.username)).status_code == 201
    assert Block.objects.filter(blocker=me).count() == 1


def test_blocked_users_do_not_appear_in_each_others_lists(make_user, follow):
    me, them = make_user(), make_user()
    follow(me, them)
    follow(them, me)
    client_for(them).post(path("blocks", me.username))
    for kind in ("following", "followers"):
        assert client_for(me).get(f"/api/network/list/{kind}/").json()["users"] == []
        assert client_for(them).get(f"/api/network/list/{kind}/").json()["users"] == []
