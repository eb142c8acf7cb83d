"""POST /api/network/nudges/<username>/, GET /api/nudges/, POST /api/nudges/read/."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from rr.network.models import Block
from rr.notifications import services
from rr.notifications.models import Nudge
from tests.api.endpoints import assert_json_error
from tests.support.clients import client_for
from tests.support.days import days_ago, utc_today

pytestmark = pytest.mark.django_db


def nudge(client, username):
    return client.post(f"/api/network/nudges/{quote(username, safe='')}/")


def test_nudging_someone_you_follow_who_has_not_kept_today(make_user, follow, day):
    me, friend = make_user(), make_user()
    follow(me, friend)
    day(friend, days_ago(0), total=2, resolved=1)

    response = nudge(client_for(me), friend.username)

    assert response.status_code == 201
    body = response.json()
    assert body["local_date"] == utc_today().isoformat() and body["nudge_id"]
    inbox = client_for(friend).get("/api/nudges/").json()
    assert inbox["unread"] == 1
    assert inbox["nudges"][0]["username"] == me.username and inbox["nudges"][0]["read"] is False


def test_once_per_pair_and_local_day(make_user, follow):
    me, friend = make_user(), make_user()
    follow(me, friend)
    assert nudge(client_for(me), friend.username).status_code == 201
    again = nudge(client_for(me), friend.username)
    assert again.status_code == 409 and "already nudged" in again.json()["error"]
    assert Nudge.objects.count() == 1


def test_someone_who_kept_today_cannot_be_nudged(make_user, follow, day):
    me, friend = make_user(), make_user()
    follow(me, friend)
    day(friend, days_ago(0), total=1, resolved=1)
    response = nudge(client_for(me), friend.username)
    assert response.status_code == 409 and "kept today" in response.json()["error"]


def test_only_people_you_follow_with_networking_on(make_user, follow):
    me, stranger, private = make_user(), make_user(), make_user()
    follow(me, private)
    private.allow_networking = False
    private.save(update_fields=["allow_networking"])

    assert nudge(client_for(me), stranger.username).status_code == 403
    assert nudge(client_for(me), private.username).status_code == 403
    assert nudge(client_for(me), "nobody-at-all").status_code == 404
    assert nudge(client_for(me), me.username).status_code == 400
    assert Nudge.objects.count() == 0


def test_a_block_either_way_answers_as_if_the_user_did_not_exist(make_user, follow):
    me, friend, other = make_user(), make_user(), make_user()
    follow(me, friend)
    follow(me, other)
    Block.objects.create(blocker=friend, blocked=me)
    Block.objects.create(blocker=me, blocked=other)
    for target in (friend, other):
        response = nudge(client_for(me), target.username)
        assert response.status_code == 404 and response.json()["error"] == "No such user."


def test_twenty_a_day_per_sender(make_user, follow, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "follow": None},
    }
    me = make_user()
    friends = [make_user() for _ in range(21)]
    for friend in friends:
        follow(me, friend)
    Nudge.objects.bulk_create(
        Nudge(sender=me, recipient=friend, local_date=days_ago(1), created_at=timezone.now() - timedelta(hours=25))
        for friend in friends
    )  # yesterday's do not count
    client = client_for(me)
    assert [nudge(client, f.username).status_code for f in friends[:20]] == [201] * 20
    response = nudge(client, friends[20].username)
    assert response.status_code == 429 and "20" in response.json()["error"]


def test_reading_marks_all_read_and_unread_come_first(make_user, follow):
    me, a, b = make_user(), make_user(), make_user()
    follow(a, me)
    follow(b, me)
    services.nudge_send(sender=a, recipient=me)
    client = client_for(me)
    assert client.post("/api/nudges/read/").json()["marked"] == 1
    services.nudge_send(sender=b, recipient=me)

    inbox = client.get("/api/nudges/").json()

    assert inbox["unread"] == 1
    assert [(n["username"], n["read"]) for n in inbox["nudges"]] == [(b.username, False), (a.username, True)]
    assert client.post("/api/nudges/read/").json()["marked"] == 1
    assert client.get("/api/nudges/").json()["unread"] == 0


def test_nudge_endpoints_need_a_token(api):
    assert api.get("/api/nudges/").status_code == 401
    assert api.post("/api/nudges/read/").status_code == 401
    assert api.post("/api/network/nudges/x/").status_code == 401


# The limit at its real value -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "age, refused",
    [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)],
    ids=["a minute inside the window", "a minute outside"],
)
def test_the_nudge_limit_counts_exactly_the_last_24_hours(make_user, follow, age, refused):
    me, friend = make_user(), make_user()
    follow(me, friend)
    now = timezone.now()
    others = [make_user() for _ in range(services.NUDGES_PER_DAY)]
    Nudge.objects.bulk_create(
        Nudge(sender=me, recipient=other, local_date=days_ago(1), created_at=now - age) for other in others
    )

    if refused:
        with pytest.raises(services.TooManyNudges):
            services.nudge_send(sender=me, recipient=friend, now=now)
    else:
        assert services.nudge_send(sender=me, recipient=friend, now=now).recipient_id == friend.pk


def test_the_limit_is_twenty():
    assert services.NUDGES_PER_DAY == 20


def test_kept_today_and_the_daily_limit_carry_their_codes(make_user, follow, day, monkeypatch, unthrottled):
    me, done, other = make_user(), make_user(), make_user()
    follow(me, done)
    follow(me, other)
    day(done, days_ago(0), total=1, resolved=1)
    assert_json_error(client_for(me).post(f"/api/network/nudges/{done.username}/"), 409, "already_kept_today")
    monkeypatch.setattr(services, "NUDGES_PER_DAY", 0)
    assert_json_error(client_for(me).post(f"/api/network/nudges/{other.username}/"), 429, "nudge_limit")
