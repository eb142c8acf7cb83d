"""The admin shows follow requests, blocks and nudges; they are browsed and deleted, never typed in."""

import pytest

from rr.accounts.models import User
from rr.network import services as network_services
from rr.network.models import Block, FollowRequest, Network
from rr.notifications import services as notification_services
from rr.notifications.models import Nudge

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(superuser_browser, make_user, follow):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol", follow_approval=True)
    follow(alice, bob)
    notification_services.nudge_send(sender=alice, recipient=bob)
    network_services.network_follow(follower=alice, target=carol)
    network_services.block_create(user=carol, target=bob)
    return superuser_browser


@pytest.mark.parametrize("model", ["followrequest", "block", "nudge"])
def test_changelists_and_search_open(browser, model):
    for query in ("", "?q=alice", "?q=carol"):
        response = browser.get(f"/admin/rr/{model}/{query}")
        assert response.status_code == 200, query
        assert b"Select " in response.content
    assert browser.get(f"/admin/rr/{model}/add/").status_code == 403


def test_rows_show_who_and_deleting_them_is_rejecting_unblocking_or_dismissing(browser):
    assert b"alice" in browser.get("/admin/rr/followrequest/").content
    assert b"carol" in browser.get("/admin/rr/block/").content
    for model, row in (("followrequest", FollowRequest), ("block", Block), ("nudge", Nudge)):
        pk = row.objects.get().pk
        response = browser.post(f"/admin/rr/{model}/{pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not row.objects.exists()
    assert Network.objects.count() == 1  # a request, block or nudge is not a link


def test_the_user_page_shows_approval_and_goal(browser):
    user = User.objects.get(username="carol")
    content = browser.get(f"/admin/rr/user/{user.pk}/change/").content
    assert b"follow_approval" in content or b"Follow approval" in content
    assert b"daily_goal" in content
