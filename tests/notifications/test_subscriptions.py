"""GET /api/push/key/, POST and DELETE /api/push/subscriptions/: storing where pushes may go."""

import pytest

from rr.notifications.models import PushSubscription

pytestmark = pytest.mark.django_db

URL = "/api/push/subscriptions/"


def test_the_key_is_the_servers_vapid_public_key(client, vapid_keys):
    response = client.get("/api/push/key/")
    assert response.status_code == 200
    assert response.json() == {"public_key": vapid_keys[1]}


def test_without_a_vapid_key_push_is_not_configured(client, settings):
    settings.VAPID_PRIVATE_KEY = ""
    response = client.get("/api/push/key/")
    assert response.status_code == 503 and response.json()["code"] == "push_not_configured"
    settings.VAPID_PRIVATE_KEY = "not a key"
    assert client.get("/api/push/key/").json()["code"] == "push_not_configured"


def test_subscribing_is_idempotent_per_endpoint(client, user, push_peer):
    body = push_peer.subscription_body()
    assert client.post(URL, body, format="json").status_code == 201
    again = client.post(URL, body, format="json")
    assert again.status_code == 201 and again.json() == {"endpoint": body["endpoint"]}
    assert list(PushSubscription.objects.values_list("user_id", "endpoint")) == [(user.pk, body["endpoint"])]


def test_the_last_account_to_subscribe_a_browser_owns_it(make_user, client_of, push_peer):
    first, second = make_user(), make_user()
    body = push_peer.subscription_body()
    client_of(first).post(URL, body, format="json")
    client_of(second).post(URL, body, format="json")
    assert PushSubscription.objects.get().user_id == second.pk


def test_unsubscribing_answers_204_and_touches_only_your_own(make_user, client_of, push_peer):
    mine, theirs = make_user(), make_user()
    body = push_peer.subscription_body()
    client_of(theirs).post(URL, body, format="json")
    assert client_of(mine).delete(URL, {"endpoint": body["endpoint"]}, format="json").status_code == 204
    assert PushSubscription.objects.count() == 1
    assert client_of(theirs).delete(URL, {"endpoint": body["endpoint"]}, format="json").status_code == 204
    assert PushSubscription.objects.count() == 0
    assert client_of(theirs).delete(URL, {"endpoint": body["endpoint"]}, format="json").status_code == 204


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",  # not https
        "https://127.0.0.1/x",  # loopback
        "https://localhost/x",  # a name for loopback
        "https://10.1.2.3/x",  # private
        "https://192.168.0.10/x",
        "https://169.254.169.254/latest/meta-data/",  # link-local: a cloud's metadata service
        "https://[::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped loopback
        "https://0.0.0.0/x",
        "https://224.0.0.1/x",  # multicast
        "https://no-such-host.invalid/x",  # does not resolve
        "ftp://push.example.com/x",
        "https://user:secret@fcm.googleapis.com/x",  # credentials
        "/relative/path",
    ],
)
def test_endpoints_that_could_reach_inside_are_refused(client, push_peer, endpoint):
    body = {**push_peer.subscription_body(), "endpoint": endpoint}
    response = client.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert "endpoint" in response.json()["fields"]
    assert not PushSubscription.objects.exists()


def test_the_test_origin_is_off_by_default(client, settings, push_peer):
    body = push_peer.subscription_body()
    settings.WEBPUSH_TEST_ORIGIN = ""
    response = client.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "endpoint_not_allowed"
    # Another port of the same loopback host is not the test origin either.
    settings.WEBPUSH_TEST_ORIGIN = push_peer.origin
    other_port = {**body, "endpoint": body["endpoint"].replace(push_peer.origin, "http://127.0.0.1:9")}
    assert client.post(URL, other_port, format="json").status_code == 400


@pytest.mark.parametrize(
    "keys",
    [
        {"p256dh": "AAAA", "auth": "tBHItJI5svbpez7KI4CCXg"},  # too short
        {"p256dh": "B" + "A" * 86, "auth": "tBHItJI5svbpez7KI4CCXg"},  # 65 bytes, not a curve point
        {"p256dh": None, "auth": "tBHItJI5svbpez7KI4CCXg"},
        {"auth": "tBHItJI5svbpez7KI4CCXg"},
        {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "!!",
        },
        {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "AAAA",
        },
        "keys",
    ],
)
def test_bad_keys_are_a_400(client, push_peer, keys):
    body = {**push_peer.subscription_body(), "keys": keys}
    response = client.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert not PushSubscription.objects.exists()


def test_subscriptions_need_a_token(api):
    assert api.get("/api/push/key/").status_code == 401
    assert api.post(URL, {}, format="json").status_code == 401
    assert api.get("/api/reminders/").status_code == 401
