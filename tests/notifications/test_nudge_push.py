"""A nudge is also a push notification to the recipient's subscriptions, after it commits."""

import time
from datetime import timedelta

import pytest

from rr.notifications.models import Nudge, PushMessage
from tests.notifications.conftest import subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_nudge_arrives_as_a_push(make_user, client_of, follow, push_peer):
    me, friend = make_user(), make_user()
    follow(me, friend)
    endpoint_id = subscribe(client_of(friend), push_peer)

    response = client_of(me).post(f"/api/network/nudges/{friend.username}/")

    assert response.status_code == 201
    (received,) = push_peer.wait_delivered(1)
    assert received.endpoint_id == endpoint_id
    assert received.payload["title"] == f"{me.username} nudged you" and received.payload["url"] == "/today/"
    wait_until(lambda: not PushMessage.objects.exists())


@pytest.mark.parametrize("status", [500, 410, 400])
def test_a_failing_push_service_never_fails_or_undoes_the_nudge(make_user, client_of, follow, push_peer, status):
    me, friend = make_user(), make_user()
    follow(me, friend)
    subscribe(client_of(friend), push_peer, status)

    response = client_of(me).post(f"/api/network/nudges/{friend.username}/")

    assert response.status_code == 201
    wait_until(lambda: len(push_peer.received) == 1)
    assert Nudge.objects.filter(sender=me, recipient=friend).exists()
    # 500: kept for a retry by send_reminders; 410 and 400: gone.
    if status == 500:
        received_at = Nudge.objects.get().created_at
        wait_until(lambda: PushMessage.objects.filter(next_attempt_at__lt=received_at + timedelta(minutes=2)).exists())
        assert PushMessage.objects.get().attempts == 1
    else:
        wait_until(lambda: not PushMessage.objects.exists())


def test_an_unreachable_push_service_never_fails_the_nudge(make_user, client_of, follow, push_peer, settings):
    me, friend = make_user(), make_user()
    follow(me, friend)
    subscribe(client_of(friend), push_peer)
    push_peer.server.shutdown()
    push_peer.server.server_close()

    response = client_of(me).post(f"/api/network/nudges/{friend.username}/")

    assert response.status_code == 201
    wait_until(
        lambda: PushMessage.objects.filter(attempts=1, next_attempt_at__gt=Nudge.objects.get().created_at).exists()
    )
