"""Helpers for the network tests (and the concurrency tests that drive the same API)."""

import threading
from datetime import UTC, datetime
from urllib.parse import quote

from django.db import connection
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User

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


# The tests' own oracle, independent of the code under test (rr.ops.counts).
_DRIFT_SQL = """
    SELECT u.id, u.followers_count, COALESCE(fr.n, 0), u.following_count, COALESCE(fg.n, 0)
    FROM rr_user u
    LEFT JOIN (SELECT following_id AS id, COUNT(*) AS n FROM rr_network GROUP BY following_id) fr ON fr.id = u.id
    LEFT JOIN (SELECT follower_id AS id, COUNT(*) AS n FROM rr_network GROUP BY follower_id) fg ON fg.id = u.id
    WHERE u.followers_count <> COALESCE(fr.n, 0) OR u.following_count <> COALESCE(fg.n, 0)
    ORDER BY u.id
"""


def counts_drift():
    """(id, followers_count, true followers, following_count, true following) of every user that drifted."""
    with connection.cursor() as cursor:
        cursor.execute(_DRIFT_SQL)
        return cursor.fetchall()


def assert_counts_exact():
    """Every user's stored counts equal rr_network's truth, and none is negative."""
    assert counts_drift() == []
    assert not User.objects.filter(followers_count__lt=0).exists()
    assert not User.objects.filter(following_count__lt=0).exists()


def counts(user):
    """(followers_count, following_count) as stored now."""
    return tuple(User.objects.filter(pk=user.pk).values_list("followers_count", "following_count").get())


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def pg_deadlocks():
    """pg_stat_database.deadlocks of the test database, with every flushed report counted.

    PostgreSQL 15 keeps statistics in shared memory, flushed by each backend when it
    goes idle (at most once a second) or exits. Connections that may have reported
    a deadlock call `flush_stats_and_close` first; this backend flushes its own
    pending figures, then drops its cached snapshot before reading.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def flush_stats_and_close():
    """End a worker thread's connection after its statistics reached shared memory.

    pg_stat_force_next_flush() makes the backend flush when it next goes idle, which
    happens before it answers the following statement.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")
    connection.close()


def run_threads(count, work):
    """Run work(i) in `count` threads, each on its own connection; the exceptions they raised."""
    errors = []

    def body(i):
        try:
            work(i)
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)
        try:
            flush_stats_and_close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# Every field of a list entry (SPEC section 3, plus you_follow/follows_you).
ENTRY_FIELDS = {
    "id",
    "username",
    "regret_index",
    "checklist_created_at",
    "allow_networking",
    "followers_count",
    "following_count",
    "date_joined",
    "you_follow",
    "follows_you",
}
