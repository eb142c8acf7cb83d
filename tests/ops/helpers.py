"""Shared by the ops tests: raw SQL, drift, row versions and who blocks whom.

Counts, the thread harness and waiting (tests/support/locks.py wait_for) are in tests/support/."""

from django.db import connection

from rr.network import services as network_services


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def follow(follower, target):
    return network_services.network_follow(follower=follower, target=target)


def drift(users, by=3):
    """Corrupt the stored counts of every other user; returns their ids."""
    ids = [user.pk for user in users[::2]]
    sql(
        "UPDATE rr_user SET followers_count = followers_count + %s, following_count = following_count + 1 "
        "WHERE id = ANY(%s)",
        [by, ids],
    )
    return ids


def row_versions():
    """{user id: xmin}: any write to a row, even of the same values, changes its xmin."""
    return dict(sql("SELECT id, xmin::text FROM rr_user"))


def blocked_by(pid):
    """How many backends wait for a lock that backend `pid` holds."""
    return sql("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])[0][0]


def blockers_of(pid):
    return sql("SELECT pg_blocking_pids(%s)", [pid])[0][0]
