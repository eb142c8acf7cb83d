"""network_follow, through POST /api/network/follow/<username>/."""

import threading
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from django.db import connection

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.common.errors import Forbidden, NotFound, Unauthorized
from rr.network import selectors, services
from rr.network.models import Network
from tests.hardening.conftest import live_database_url
from tests.network.helpers import ENTRY_FIELDS, LEGACY_NAMES, url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts
from tests.support.locks import backend_waiting_on, wait_for, waits_for_a_lock
from tests.support.threads import flush_stats_and_close, join_all

pytestmark = pytest.mark.django_db

PLUS_8 = timezone(timedelta(hours=8))


def test_follow_creates_the_link_and_moves_both_counts(make_user):
    me, them = make_user(password=None), make_user(password=None)
    response = client_for(me).post(url("follow", them.username))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"message", "network_id", "following"}
    link = Network.objects.get(follower=me, following=them)
    assert body["network_id"] == link.pk
    assert them.username in body["message"]
    entry = body["following"]
    assert set(entry) == ENTRY_FIELDS
    assert entry["id"] == them.pk
    assert entry["username"] == them.username
    assert entry["followers_count"] == 1
    assert (entry["you_follow"], entry["follows_you"]) == (True, False)
    assert entry["regret_index"] == -1 and entry["checklist_created_at"] is None
    assert counts(me) == (0, 1)
    assert counts(them) == (1, 0)


@pytest.mark.parametrize("allow_networking", [True, False])
def test_the_entry_read_back_is_the_lists_row(make_user, follow, checklist, allow_networking):
    """network_user_read (the follow's read-back) agrees with network_page (the list's statement)."""
    me, them, fan = make_user(password=None), make_user(password=None), make_user(password=None)
    checklist(them, datetime(2025, 6, 17, 9, 0, tzinfo=PLUS_8), total=2, resolved=1)
    checklist(them, datetime(2025, 6, 19, 1, 0, 7, 250000, tzinfo=PLUS_8), total=4, resolved=1)
    follow(them, me)
    follow(fan, them)
    entry = client_for(me).post(url("follow", them.username)).json()["following"]
    assert (entry["regret_index"], entry["checklist_created_at"]) == (0.75, "2025-06-18T17:00:07Z")
    assert (entry["followers_count"], entry["following_count"], entry["follows_you"]) == (2, 1, True)
    User.objects.filter(pk=them.pk).update(allow_networking=allow_networking)
    now = datetime.now(UTC)
    (listed,), count, _ = selectors.network_page(user=me, kind="following", page_size=10, now=now)
    assert count == 1
    read = selectors.network_user_read(user=me, target_id=them.pk, now=now)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, read.params)
        assert read.load(cursor) == listed


def test_follow_back_is_seen_in_the_entry(make_user, follow):
    me, them = make_user(password=None), make_user(password=None)
    follow(them, me)
    entry = client_for(me).post(url("follow", them.username)).json()["following"]
    assert (entry["you_follow"], entry["follows_you"]) == (True, True)
    assert counts(me) == (1, 1) and counts(them) == (1, 1)


@pytest.mark.parametrize(
    ("case", "status"),
    [("too_long", 400), ("networking_off", 403), ("unknown", 404), ("inactive", 404), ("self", 409), ("again", 409)],
)
def test_refusals_write_nothing(make_user, follow, case, status):
    me = make_user(password=None)
    other = make_user(password=None)
    follow(me, other)
    name = {
        "too_long": "a" * 256,
        "networking_off": make_user(password=None, allow_networking=False).username,
        "unknown": "nobody_here",
        "inactive": make_user(password=None, is_active=False).username,
        "self": me.username,
        "again": other.username,
    }[case]
    response = client_for(me).post(url("follow", name))
    assert response.status_code == status
    assert set(response.json()) >= {"error"}
    assert Network.objects.count() == 1
    assert_counts_exact()


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_legacy_names_can_be_followed(make_user, legacy_user, name):
    me, them = make_user(password=None), legacy_user(name)
    response = client_for(me).post(url("follow", name))
    assert response.status_code == 201
    assert response.json()["following"]["username"] == name
    assert counts(them) == (1, 0)


def test_a_toggle_after_the_lookup_is_seen_under_the_lock(make_user):
    me, them = make_user(password=None), make_user(password=None)
    User.objects.filter(pk=them.pk).update(allow_networking=False)  # `them` is now stale
    with pytest.raises(Forbidden):
        services.network_follow(follower=me, target=them)
    assert not Network.objects.exists()


def test_a_deactivation_after_the_lookup_is_seen_under_the_lock(make_user):
    me, them = make_user(password=None), make_user(password=None)
    User.objects.filter(pk=them.pk).update(is_active=False)
    with pytest.raises(NotFound):
        services.network_follow(follower=me, target=them)
    assert not Network.objects.exists()


def test_a_deleted_target_is_404(make_user):
    me, them = make_user(password=None), make_user(password=None)
    User.objects.filter(pk=them.pk).delete()
    with pytest.raises(NotFound):
        services.network_follow(follower=me, target=them)


def test_a_follower_gone_since_authentication_cannot_follow(make_user):
    me, them = make_user(password=None), make_user(password=None)
    account_services.user_delete(user=me)
    with pytest.raises(Unauthorized):
        services.network_follow(follower=me, target=them)
    assert not Network.objects.exists()
    assert_counts_exact()


@pytest.mark.django_db(transaction=True)
def test_a_target_deleted_right_after_the_follow_still_gets_a_201(make_user):
    """The response is read under the follow's locks, after its insert: a deletion waits for it, no 500."""
    me, them = make_user(password=None), make_user(password=None)
    responses, deleter_errors, deleter_pid = [], [], []

    def follow():
        try:
            responses.append(client_for(me).post(url("follow", them.username)))
        finally:
            flush_stats_and_close()

    def delete_them():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                deleter_pid.append(cursor.fetchone()[0])
            account_services.user_delete(user=them)
        except BaseException as exc:  # reported by the test below
            deleter_errors.append(exc)
        finally:
            flush_stats_and_close()

    follower, deleter = threading.Thread(target=follow), threading.Thread(target=delete_them)
    # The follow inserts its row, then reads the target back (its latest checklist): an
    # ACCESS EXCLUSIVE lock on rr_checklist holds it there, between the two, with its locks.
    with psycopg.connect(live_database_url()) as locker:
        locker.execute("LOCK TABLE rr_checklist IN ACCESS EXCLUSIVE MODE")
        follower.start()
        follow_pid = wait_for(lambda: backend_waiting_on(locker, "rr_checklist"), "the follow to read back")
        assert _holds_row_exclusive_on(locker, follow_pid, "rr_network"), "the follow had not inserted yet"
        deleter.start()
        wait_for(lambda: deleter_pid and waits_for_a_lock(locker, deleter_pid[0]), "the deletion to queue")
        locker.rollback()
    join_all([follower, deleter], 30)

    assert not deleter_errors
    assert responses[0].status_code == 201, responses[0].content[:300]
    assert responses[0].json()["following"]["id"] == them.pk
    assert not User.objects.filter(pk=them.pk).exists()
    assert_counts_exact()


def _holds_row_exclusive_on(conn, pid, table):
    return conn.execute(
        "SELECT 1 FROM pg_locks WHERE pid = %s AND relation = %s::regclass AND granted AND mode = 'RowExclusiveLock'",
        [pid, table],
    ).fetchone()


def test_the_follow_finds_the_named_user_as_the_lookup_did(make_user, legacy_user, follow):
    # The follow's round trip finds the user by name itself (rr.network.links.NAMED_USER_SQL):
    # exactly, else by a unique case-insensitive match; the answers name them as stored.
    me = make_user(password=None)
    legacy_user("Bob"), legacy_user("bob")
    alice = legacy_user("alice")
    carol = legacy_user("carol", allow_networking=False)
    dave = legacy_user("dave", follow_approval=True)
    legacy_user("erin", is_active=False)
    client = client_for(me)
    for name in ("BOB", "ERIN", "nobody_here"):
        response = client.post(url("follow", name))
        assert (response.status_code, response.json()["code"], response.json()["error"]) == (
            404,
            "user_not_found",
            "No such user.",
        )
    response = client.post(url("follow", "CAROL"))
    assert (response.status_code, response.json()["error"]) == (403, "carol does not allow networking.")
    response = client.post(url("follow", "ALICE"))
    assert response.status_code == 201
    assert response.json()["message"] == "You now follow alice."
    assert response.json()["following"]["id"] == alice.pk
    response = client.post(url("follow", "Alice"))
    assert (response.status_code, response.json()["error"]) == (409, "You already follow alice.")
    response = client.post(url("follow", "DAVE"))
    assert response.status_code == 202
    assert response.json()["message"] == "You asked to follow dave; they will see your request."
    assert dave.follow_requests_received.get().requester_id == me.pk
    assert Network.objects.filter(follower=me).count() == 1
    assert counts(carol) == (0, 0)
    assert_counts_exact()


def test_an_unknown_name_after_a_follow_in_the_same_transaction_is_still_unknown(make_user):
    # The found user is handed on as a setting of the transaction (set_config(..., true)):
    # here every request runs in the test's one transaction, and the setting one follow wrote
    # must not stand for the next one's unknown name.
    me, them = make_user(password=None), make_user(password=None)
    client = client_for(me)
    assert connection.in_atomic_block
    assert client.post(url("follow", them.username)).status_code == 201
    response = client.post(url("follow", "nobody_here"))
    assert (response.status_code, response.json()["code"]) == (404, "user_not_found")
    assert_counts_exact()
