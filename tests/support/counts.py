"""The tests' own oracle for the follower counts, independent of the code under test (rr.ops.counts).

Every function takes an optional `conn`: a psycopg connection to a scratch database;
without it they run on Django's connection (the test database).
"""

from django.db import connection

# (id, followers_count, true followers, following_count, true following) of every user that drifted.
DRIFT_SQL = """
    SELECT u.id, u.followers_count, COALESCE(fr.n, 0), u.following_count, COALESCE(fg.n, 0)
    FROM rr_user u
    LEFT JOIN (SELECT following_id AS id, COUNT(*) AS n FROM rr_network GROUP BY following_id) fr ON fr.id = u.id
    LEFT JOIN (SELECT follower_id AS id, COUNT(*) AS n FROM rr_network GROUP BY follower_id) fg ON fg.id = u.id
    WHERE u.followers_count <> COALESCE(fr.n, 0) OR u.following_count <> COALESCE(fg.n, 0)
    ORDER BY u.id
"""


def _rows(statement, params=None, conn=None):
    if conn is not None:
        return conn.execute(statement, params).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def counts_drift(conn=None):
    """(id, followers_count, true followers, following_count, true following) of every user that drifted."""
    return [tuple(row) for row in _rows(DRIFT_SQL, conn=conn)]


def assert_counts_exact(conn=None):
    """Every user's stored counts equal rr_network's truth, and none is negative."""
    assert counts_drift(conn) == []
    negative = "SELECT id FROM rr_user WHERE followers_count < 0 OR following_count < 0"
    assert _rows(negative, conn=conn) == []


def counts(*users, conn=None):
    """(followers_count, following_count) as stored now: of one user (or id), or a list for several."""
    ids = [getattr(user, "pk", user) for user in users]
    statement = "SELECT id, followers_count, following_count FROM rr_user WHERE id = ANY(%s)"
    rows = {row[0]: (row[1], row[2]) for row in _rows(statement, [ids], conn=conn)}
    found = [rows[i] for i in ids]
    return found[0] if len(users) == 1 else found
