"""GDPR: DELETE /auth/user/ (the export: tests/export/test_export.py)."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from rr.accounts import services
from rr.accounts.models import Session, User
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret
from rr.network import services as network_services
from rr.network.models import Network
from tests.support.clients import client_with_token
from tests.support.counts import assert_counts_exact
from tests.support.responses import assert_refused
from tests.support.threads import barrier, pg_deadlocks, run_threads

PASSWORD = "a sturdy passphrase 42"


def _client(user):
    return client_with_token(services.tokens_for(user)["access"])


def _delete(client, body):
    return client.delete("/auth/user/", body, format="json")


@pytest.mark.django_db
def test_deleting_needs_the_password_and_a_wrong_one_deletes_nothing(make_user):
    me, friend = make_user("leaver", password=PASSWORD), make_user()
    network_services.network_follow(follower=friend, target=me)
    client = _client(me)

    assert_refused(_delete(client, {"password": "not it"}), 401)
    assert_refused(_delete(client, {}), 400)
    assert_refused(_delete(client, {"confirm": "leaver"}), 400)
    assert User.objects.filter(pk=me.pk).exists() and Network.objects.count() == 1

    assert _delete(client, {"password": PASSWORD}).status_code == 204

    assert not User.objects.filter(pk=me.pk).exists()
    assert not Checklist.objects.filter(user_id=me.pk).exists()
    assert not Session.objects.filter(user_id=me.pk).exists()
    assert Network.objects.count() == 0
    friend.refresh_from_db()
    assert friend.following_count == 0
    assert_refused(client.get("/api/checklists/"), 401)


@pytest.mark.django_db
def test_an_account_without_password_confirms_with_its_username(make_user):
    me = make_user("no_secret", password=None)
    checklist_services.checklist_for_day(user=me, local_datetime=datetime(2025, 6, 19, 12, tzinfo=UTC))
    client = _client(me)
    assert_refused(_delete(client, {"confirm": "NO_SECRET"}), 400)
    assert_refused(_delete(client, {}), 400)
    assert _delete(client, {"confirm": "no_secret"}).status_code == 204
    assert not User.objects.filter(pk=me.pk).exists()
    assert Regret.objects.count() == 0 and Checklist.objects.count() == 0


@pytest.mark.django_db
def test_deletion_guesses_are_limited(make_user, throttle_rates):
    throttle_rates(password_guess="2/hour")
    me = make_user(password=PASSWORD)
    client = _client(me)
    assert [_delete(client, {"password": f"guess {i}"}).status_code for i in range(2)] == [401, 401]
    assert_refused(_delete(client, {"password": PASSWORD}), 429)
    assert User.objects.filter(pk=me.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_deletion_under_concurrent_follows_of_the_deleted_user_keeps_every_count_exact(make_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
    deadlocks_before = pg_deadlocks()
    for round_ in range(3):
        leaving = make_user(f"leaving_{round_}", password=PASSWORD)
        fans = [make_user(f"fan_{round_}_{i}") for i in range(6)]
        for fan in fans[:3]:
            network_services.network_follow(follower=fan, target=leaving)
            network_services.network_follow(follower=leaving, target=fan)
        leaving_access = services.tokens_for(leaving)["access"]
        fan_access = [services.tokens_for(fan)["access"] for fan in fans]
        start = barrier(len(fans) + 1)
        statuses = {}

        def act(
            i, leaving=leaving, fans=fans, start=start, statuses=statuses, fan_access=fan_access, mine=leaving_access
        ):
            if i == len(fans):
                client = client_with_token(mine)
                start.wait()
                statuses["delete"] = client.delete("/auth/user/", {"password": PASSWORD}, format="json").status_code
            else:
                client = client_with_token(fan_access[i])
                path = (
                    f"/api/network/follow/{leaving.username}/"
                    if i >= 3
                    else f"/api/network/unfollow/{leaving.username}/"
                )
                start.wait()
                response = client.post(path) if i >= 3 else client.delete(path)
                statuses[i] = response.status_code

        assert run_threads(len(fans) + 1, act, barriers=[start]) == []

        assert statuses["delete"] == 204, statuses
        assert all(statuses[i] in (200, 201, 404) for i in range(len(fans))), statuses
        assert not User.objects.filter(pk=leaving.pk).exists()
        assert not Network.objects.filter(following_id=leaving.pk).exists()
        assert not Network.objects.filter(follower_id=leaving.pk).exists()
        assert_counts_exact()
        assert APIClient().get("/health/").status_code == 200
    assert pg_deadlocks() == deadlocks_before
