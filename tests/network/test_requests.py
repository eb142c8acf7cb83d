"""Follow approval: requests (202), incoming/outgoing lists, accept, reject, cancel, approval off/networking off."""

from urllib.parse import quote

import pytest

from rr.network import services
from rr.network.models import FollowRequest, Network
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts

pytestmark = pytest.mark.django_db
SETTINGS = "/api/network/settings/"


def path(name, username):
    return f"/api/network/{name}/{quote(username, safe='')}/"


@pytest.fixture
def locked(make_user):
    """A user with follow approval on."""
    return make_user(follow_approval=True)


def ask(follower, target):
    return client_for(follower).post(path("follow", target.username))


def test_settings_carry_approval_and_daily_goal_and_the_old_body_still_works(client, user):
    body = client.get(SETTINGS).json()
    assert body["follow_approval"] is False and body["daily_goal"] == 0.0 and body["allow_networking"] is True

    assert client.patch(SETTINGS, {"allow_networking": False}, format="json").json()["allow_networking"] is False
    changed = client.patch(SETTINGS, {"follow_approval": True, "daily_goal": 0.25}, format="json").json()
    assert changed["follow_approval"] is True and changed["daily_goal"] == 0.25
    user.refresh_from_db()
    assert user.follow_approval is True and str(user.daily_goal) == "0.2500"
    for bad in [
        {},
        {"daily_goal": 1.5},
        {"daily_goal": -0.1},
        {"daily_goal": "0.5"},
        {"daily_goal": True},
        {"follow_approval": "yes"},
        {"daily_goal": None},
        {"daily_goal": 0.12345},
    ]:
        assert client.patch(SETTINGS, bad, format="json").status_code == 400, bad


def test_following_a_user_with_approval_on_makes_a_pending_request_not_a_link(make_user, locked):
    me = make_user()
    assert client_for(me).get(path("validate", locked.username)).json()["requires_approval"] is True

    response = ask(me, locked)

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"message", "request_id"}
    assert FollowRequest.objects.filter(pk=body["request_id"], requester=me, target=locked).exists()
    assert not Network.objects.exists() and counts(locked) == (0, 0) and counts(me) == (0, 0)
    again = ask(me, locked)
    assert again.status_code == 409 and "pending" in again.json()["error"]


def test_incoming_and_outgoing_lists(make_user, locked):
    me, other = make_user(), make_user()
    first = ask(me, locked).json()["request_id"]
    second = ask(other, locked).json()["request_id"]

    incoming = client_for(locked).get("/api/network/requests/incoming/").json()
    outgoing = client_for(me).get("/api/network/requests/outgoing/").json()

    assert [(r["id"], r["username"]) for r in incoming["requests"]] == [(second, other.username), (first, me.username)]
    assert [(r["id"], r["username"]) for r in outgoing["requests"]] == [(first, locked.username)]
    assert incoming["requests"][0]["since"].endswith("Z")
    assert client_for(me).get("/api/network/requests/sideways/").status_code == 404


def test_only_the_target_accepts_and_the_link_and_counts_follow(make_user, locked):
    me, stranger = make_user(), make_user()
    request_id = ask(me, locked).json()["request_id"]

    assert client_for(me).post(f"/api/network/requests/{request_id}/accept/").status_code == 404
    assert client_for(stranger).post(f"/api/network/requests/{request_id}/accept/").status_code == 404
    accepted = client_for(locked).post(f"/api/network/requests/{request_id}/accept/")

    assert accepted.status_code == 200 and me.username in accepted.json()["message"]
    assert Network.objects.filter(follower=me, following=locked).exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked) == (1, 0) and counts(me) == (0, 1)
    assert client_for(locked).post(f"/api/network/requests/{request_id}/accept/").status_code == 404
    assert_counts_exact()


def test_reject_by_the_target_cancel_by_the_requester_nobody_else(make_user, locked):
    me, other, stranger = make_user(), make_user(), make_user()
    first = ask(me, locked).json()["request_id"]
    second = ask(other, locked).json()["request_id"]

    assert client_for(stranger).delete(f"/api/network/requests/{first}/").status_code == 404
    rejected = client_for(locked).delete(f"/api/network/requests/{first}/")
    cancelled = client_for(other).delete(f"/api/network/requests/{second}/")

    assert rejected.status_code == 200 and "rejected" in rejected.json()["message"]
    assert cancelled.status_code == 200 and "no longer ask" in cancelled.json()["message"]
    assert not FollowRequest.objects.exists() and not Network.objects.exists()
    assert client_for(me).delete(f"/api/network/requests/{first}/").status_code == 404


def test_turning_approval_off_accepts_everything_pending_in_batches(make_user, locked, monkeypatch):
    monkeypatch.setattr(services, "ACCEPT_BATCH", 3)
    askers = [make_user() for _ in range(8)]
    for asker in askers:
        assert ask(asker, locked).status_code == 202

    body = client_for(locked).patch(SETTINGS, {"follow_approval": False}, format="json").json()

    assert body["follow_approval"] is False
    assert not FollowRequest.objects.exists()
    assert set(Network.objects.filter(following=locked).values_list("follower_id", flat=True)) == {a.pk for a in askers}
    assert counts(locked) == (8, 0)
    assert_counts_exact()
    # From now on a follow is a link at once.
    assert ask(make_user(), locked).status_code == 201


def test_turning_networking_off_rejects_everything_pending(make_user, locked):
    askers = [make_user() for _ in range(3)]
    for asker in askers:
        ask(asker, locked)
    outgoing = ask(locked, make_user(follow_approval=True))  # the user's own request stays

    client_for(locked).patch(SETTINGS, {"allow_networking": False}, format="json")

    assert list(FollowRequest.objects.values_list("pk", flat=True)) == [outgoing.json()["request_id"]]
    assert not Network.objects.exists()
    assert ask(askers[0], locked).status_code == 403


def test_a_user_with_approval_shows_the_index_only_to_followers(make_user, locked, follow, day):
    from tests.support.days import days_ago

    fan, other = make_user(), make_user()
    services.follow_approval_set(user=locked, on=False)
    follow(fan, locked)  # a follower from before approval was on counts as accepted
    services.follow_approval_set(user=locked, on=True)
    follow(locked, other)
    day(locked, days_ago(0), total=2, resolved=1)

    fan_view = client_for(fan).get("/api/network/list/following/").json()["users"][0]
    other_view = client_for(other).get("/api/network/list/followers/").json()["users"][0]

    assert fan_view["regret_index"] == 0.5 and fan_view["current_streak"] == 0 and fan_view["strength"] == 0.0
    assert other_view["username"] == locked.username
    assert (
        other_view["regret_index"] is None and other_view["current_streak"] is None and other_view["strength"] is None
    )
