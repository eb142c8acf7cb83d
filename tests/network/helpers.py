"""Helpers for the network tests (and the concurrency tests that drive the same API)."""

from datetime import datetime, timezone
from urllib.parse import quote

from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network import selectors as network_selectors

PATHS = {
    "validate": "/api/network/validate/{}/",
    "follow": "/api/network/follow/{}/",
    "unfollow": "/api/network/unfollow/{}/",
    "follower": "/api/network/followers/{}/",
    "list": "/api/network/list/{}/",
}
SETTINGS_URL = "/api/network/settings/"

# Names the legacy release let in and today's rules refuse; they must keep working in paths.
LEGACY_NAMES = [
    "bob smith",
    "o'neil",
    "Zoë Ωμέγα 山田",
    "tab\there",
    "trailing ",
    "x",
    "a" * 255,
    "100% real?#&",
]



def as_user(user):
    """An API client holding a fresh access token of `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {account_services.tokens_for(user)['access']}")
    return client


def url(name, username):
    """A network URL with `username` percent-encoded, as the mobile client sends it."""
    return PATHS[name].format(quote(username, safe=""))


def assert_counts_exact():
    """Every user's stored counts equal rr_network's truth, and none is negative."""
    assert network_selectors.user_counts_drift() == []
    assert not User.objects.filter(followers_count__lt=0).exists()
    assert not User.objects.filter(following_count__lt=0).exists()


def counts(user):
    """(followers_count, following_count) as stored now."""
    return tuple(User.objects.filter(pk=user.pk).values_list("followers_count", "following_count").get())


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
