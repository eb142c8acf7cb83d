"""Paths and names for the network tests (and the concurrency tests that drive the same API).

Clients, counts and the thread harness are in tests/support/.
"""

from datetime import UTC, datetime
from urllib.parse import quote

from rr.network import serializers

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


def url(name, username):
    """A network URL with `username` percent-encoded, as the mobile client sends it."""
    return PATHS[name].format(quote(username, safe=""))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# Every field of a list entry: the output serializer's (SPEC section 3, plus you_follow/follows_you).
ENTRY_FIELDS = serializers.ENTRY_FIELDS
