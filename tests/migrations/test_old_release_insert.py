"""After 0004/0005 the previous release still writes rr_user, and the triggers keep the counts.

Raw SQL throughout: the triggers must hold whatever writes rr_network, not only our ORM code.
Each test works in one transaction on a shared copy of the upgraded legacy database and
rolls it back.
"""

import psycopg
import pytest

from tests.support import pg
from tests.support.counts import counts, counts_drift
from tests.support.user_days import days_drift

# What the legacy release's ORM sends when a user signs up: the legacy columns only.
LEGACY_SIGNUP = """
    INSERT INTO rr_user (password, last_login, is_superuser, username, is_active, is_staff, date_joined)
    VALUES ('!unusable', NULL, false, %s, true, false, now())
    RETURNING id, allow_networking, followers_count, following_count
"""


@pytest.fixture(scope="module")
def database(upgraded_template):
    with pg.scratch_database("old_release", template=upgraded_template.name) as name:
        yield name


@pytest.fixture
def conn(database):
    """A connection inside a transaction that is rolled back after the test."""
    with pg.connect(database, autocommit=False) as connection:
        yield connection
        connection.rollback()


def follow(conn, follower, following):
    conn.execute(
        "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())", [follower, following]
    )


def test_legacy_insert_naming_no_new_column_gets_the_database_defaults(conn):
    _, allow_networking, followers, following = conn.execute(LEGACY_SIGNUP, ["old_release_user"]).fetchone()
    assert (allow_networking, followers, following) == (True, 0, 0)


def test_insert_and_delete_of_follows_move_both_counts(conn):
    a, b, c = 1, 2, 3
    follow(conn, a, b)
    follow(conn, a, c)
    follow(conn, c, b)
    assert counts(a, b, c, conn=conn) == [(0, 2), (2, 0), (1, 1)]

    conn.execute("DELETE FROM rr_network WHERE follower_id = %s AND following_id = %s", [a, b])
    assert counts(a, b, c, conn=conn) == [(0, 1), (1, 0), (1, 1)]
    assert counts_drift(conn) == []


def test_new_legacy_user_can_be_followed(conn):
    newcomer = conn.execute(LEGACY_SIGNUP, ["old_release_newcomer"]).fetchone()[0]
    follow(conn, 1, newcomer)
    assert counts(1, newcomer, conn=conn) == [(0, 1), (1, 0)]


def test_update_of_follower_moves_the_follow_to_the_new_follower(conn):
    a, b, c = 4, 5, 6
    follow(conn, a, b)
    conn.execute("UPDATE rr_network SET follower_id = %s WHERE follower_id = %s", [c, a])
    assert counts(a, b, c, conn=conn) == [(0, 0), (1, 0), (0, 1)]
    assert counts_drift(conn) == []


def test_truncate_resets_every_count(conn):
    for follower, following in [(1, 2), (2, 1), (3, 1), (7, 8)]:
        follow(conn, follower, following)
    assert conn.execute("SELECT count(*) FROM rr_user WHERE followers_count > 0").fetchone() == (3,)

    # The deferred foreign-key checks must run first: PostgreSQL refuses to TRUNCATE a
    # table with pending trigger events in the same transaction.
    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    conn.execute("TRUNCATE rr_network")

    assert conn.execute(
        "SELECT count(*) FROM rr_user WHERE followers_count <> 0 OR following_count <> 0"
    ).fetchone() == (0,)


def test_counts_cannot_go_negative(conn):
    validated = conn.execute(
        "SELECT conname, convalidated FROM pg_constraint"
        " WHERE conrelid = 'rr_user'::regclass AND contype = 'c' ORDER BY conname"
    ).fetchall()
    assert validated == [
        ("rr_user_daily_goal_0_1", True),
        ("rr_user_followers_count_gte_0", True),
        ("rr_user_following_count_gte_0", True),
    ]

    for column in ("followers_count", "following_count"):
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(f"UPDATE rr_user SET {column} = -1 WHERE id = 1")


def test_database_refuses_self_follows_and_duplicate_pairs(conn):
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        follow(conn, 1, 1)
    follow(conn, 1, 2)
    with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        follow(conn, 1, 2)
    assert counts(1, 2, conn=conn) == [(0, 1), (1, 0)]


def test_the_previous_releases_checklist_writes_keep_the_summary_of_days(conn):
    # What the legacy release's ORM sends for a day's checklist and its regrets (no local
    # date, no offset), a tick, an undo, and a user's deletion (its collector's order).
    user = conn.execute(LEGACY_SIGNUP, ["old_release_days"]).fetchone()[0]
    checklist = conn.execute(
        "INSERT INTO rr_checklist (created_at, score, completed, user_id) VALUES (now(), 1, false, %s) RETURNING id",
        [user],
    ).fetchone()[0]
    assert days_drift(conn, user) is None
    regret = conn.execute(
        "INSERT INTO rr_regret (description, created_at, success, checklist_id) VALUES ('x', now(), false, %s)"
        " RETURNING id",
        [checklist],
    ).fetchone()[0]
    conn.execute("UPDATE rr_regret SET success = true WHERE id = %s", [regret])
    conn.execute("UPDATE rr_checklist SET score = 0 WHERE id = %s", [checklist])  # kept: goal 0
    assert conn.execute("SELECT kept_run FROM rr_user_days WHERE user_id = %s", [user]).fetchone() == (1,)
    assert days_drift(conn, user) is None
    conn.execute("DELETE FROM rr_regret WHERE id = %s", [regret])  # no regret left: not kept
    assert days_drift(conn, user) is None
    conn.execute("DELETE FROM rr_checklist WHERE user_id = %s", [user])
    conn.execute("DELETE FROM rr_user WHERE id = %s", [user])
    assert conn.execute("SELECT count(*) FROM rr_user_days WHERE user_id = %s", [user]).fetchone() == (0,)
