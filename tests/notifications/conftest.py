import pytest

from rr.notifications import push
from tests.notifications.peer import PushPeer

SUBJECT = "mailto:ops@regret.test"


@pytest.fixture
def vapid_keys(settings):
    private, public = push.vapid_new_pair()
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = SUBJECT
    return private, public


@pytest.fixture
def push_peer(settings, vapid_keys):
    """A loopback push service (tests/notifications/peer.py), the one origin WEBPUSH_TEST_ORIGIN lets in."""
    with PushPeer(vapid_public_key=vapid_keys[1], subject=SUBJECT) as peer:
        settings.WEBPUSH_TEST_ORIGIN = peer.origin
        yield peer


def subscribe(client, peer, *statuses):
    """Register a new endpoint of `peer` (answering `statuses` first) through the API; its id."""
    body = peer.subscription_body(*statuses)
    assert client.post("/api/push/subscriptions/", body, format="json").status_code == 201
    return body["endpoint"].rsplit("/", 1)[-1]
