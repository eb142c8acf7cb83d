"""rr/notifications/push.py: where a push may go is checked again when the connection opens."""

import socket
from datetime import time

import pytest

from rr.notifications import push, services
from rr.notifications.models import PushMessage, PushSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    """A TCP port on loopback that records whether anything connected."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.2)
    yield sock
    sock.close()


def connected(sock):
    try:
        sock.accept()[0].close()
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_stored_endpoint_on_an_inside_address_is_never_connected_to(user, push_peer, listener, scheme):
    # As if a name passed the check when subscribing and later pointed inside (DNS rebinding).
    port = listener.getsockname()[1]
    keys = push_peer.subscription_body()["keys"]
    PushSubscription.objects.create(user=user, endpoint=f"{scheme}://localhost:{port}/x", **keys)
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)

    result = services.reminders_send()

    assert result["pushes"]["gone"] == 1
    assert not connected(listener)
    assert not PushSubscription.objects.exists() and not PushMessage.objects.exists()


def test_the_endpoint_check_resolves_names(monkeypatch):
    # A public-looking name that resolves to a private address is refused like the address.
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("10.0.0.7", 443))])
    with pytest.raises(push.UnsafeEndpoint):
        push._resolve("push.example.com", 443)
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, 1, 6, "", ("142.250.1.1", 443)),
            (socket.AF_INET, 1, 6, "", ("127.0.0.1", 443)),
        ],
    )
    with pytest.raises(push.UnsafeEndpoint):
        push._resolve("push.example.com", 443)  # one inside address is enough to refuse
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("142.250.1.1", 443))])
    assert push._resolve("push.example.com", 443) == ["142.250.1.1"]


def test_without_a_key_messages_wait(user, push_peer, settings):
    body = push_peer.subscription_body()
    PushSubscription.objects.create(user=user, endpoint=body["endpoint"], **body["keys"])
    services.reminder_set(user=user, enabled=True, local_time=time(0, 0), utc_offset_minutes=0)
    settings.VAPID_PRIVATE_KEY = ""
    services.reminders_send()
    assert PushMessage.objects.get().attempts == 0 and push_peer.received == []
