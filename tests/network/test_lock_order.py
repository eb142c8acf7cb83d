"""The user-row lock order itself, observed in PostgreSQL: ascending id, in every writer.

The storms (tests/concurrency) pass whatever the order as long as every writer keeps the
same one, so they cannot tell ascending from descending; these tests can. A writer is
stopped at one user's row (another connection holds it) and a third connection asks,
without waiting, which of the two rows the writer already holds: in ascending order it
holds the lower id while it waits on the higher, and never the higher while it waits on
the lower. Covered: the Python writers' lock (rr/common/locks.py USERS_LOCK_SQL, through
network_follow) and migration 0004's trigger (a raw INSERT into rr_network).
"""

import threading

import psycopg
import pytest
from django.db import connection

from rr.network import services as network_services
from tests.support import pg
from tests.support.locks import wait_for
from tests.support.threads import join_all

pytestmark = pytest.mark.django_db(transaction=True)


def _database():
    return connection.settings_dict["NAME"]


def _held_by_another(conn, user_id):
    """Whether some other transaction holds a lock on the user's row that FOR UPDATE conflicts with."""
    try:
        with conn.transaction():
            conn.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE NOWAIT", [user_id])
        return False
    except psycopg.errors.LockNotAvailable:
        return True


def _writer_waiting(conn):
    """The pid of a backend of this database waiting for a lock, or None."""
    row = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        " AND pid <> pg_backend_pid() LIMIT 1"
    ).fetchone()
    return row and row[0]


def _observe(write, *, stopped_at, other):
    """Hold `stopped_at`'s row, run `write` in a thread until it waits; whether it then held `other`."""
    errors = []

    def body():
        try:
            write()
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    with pg.connect(_database(), autocommit=False) as holder, pg.connect(_database()) as probe:
        holder.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE", [stopped_at])
        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        try:
            wait_for(lambda: _writer_waiting(probe), "the writer to wait for the held row")
            held = _held_by_another(probe, other)
        finally:
            holder.rollback()
            join_all([thread])
    assert errors == []
    return held


@pytest.fixture
def pair(make_user):
    low, high = make_user(), make_user()
    assert low.pk < high.pk
    return low, high


@pytest.mark.parametrize("direction", ["low follows high", "high follows low"])
def test_a_follow_locks_the_lower_id_first(pair, direction):
    low, high = pair
    follower, target = (low, high) if direction == "low follows high" else (high, low)

    def follow():
        network_services.network_follow(follower=follower, target=target)

    assert _observe(follow, stopped_at=high.pk, other=low.pk) is True, "waiting on the higher id without the lower"
    network_services.network_unfollow(follower=follower, target=target)
    assert _observe(follow, stopped_at=low.pk, other=high.pk) is False, "holding the higher id before the lower"


@pytest.mark.parametrize("direction", ["low follows high", "high follows low"])
def test_the_count_trigger_locks_the_lower_id_first(pair, direction):
    low, high = pair
    follower, target = (low, high) if direction == "low follows high" else (high, low)

    def raw_insert():
        with pg.connect(_database()) as conn:
            conn.execute(
                "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())",
                [follower.pk, target.pk],
            )

    def raw_delete():
        with pg.connect(_database()) as conn:
            conn.execute(
                "DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s", [follower.pk, target.pk]
            )

    assert _observe(raw_insert, stopped_at=high.pk, other=low.pk) is True
    raw_delete()
    assert _observe(raw_insert, stopped_at=low.pk, other=high.pk) is False
