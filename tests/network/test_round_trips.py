"""What a follow and an unfollow send PostgreSQL: their statements and round trips (bench.wrk
counts the same with pg_stat_statements; docs/BENCHMARKS.md). Neither may grow unnoticed."""

import pytest
import sqlparse
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.network.helpers import url
from tests.support import queries
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact

pytestmark = pytest.mark.django_db


def _trips(request, status):
    """(round trips, statements) of `request()`, which must answer `status`."""
    with CaptureQueriesContext(connection) as captured:
        assert request().status_code == status
    sent = queries.sent(captured)
    return len(sent), sum(len(sqlparse.split(sql)) for sql in sent)


def test_a_follow_is_five_statements_in_two_round_trips(make_user):
    # The token's user and session; the follow's query string: the users' lock (which finds
    # the named user), the insert with the ladder's state, the entry and the nudges read back.
    me, them = make_user(password=None), make_user(password=None)
    client = client_for(me)
    assert _trips(lambda: client.post(url("follow", them.username)), 201) == (2, 5)
    assert_counts_exact()


def test_an_unfollow_is_three_statements_in_two_round_trips(make_user, follow):
    # The token's user and session; the unfollow's query string: the users' lock (which
    # finds the named user), the DELETE.
    me, them = make_user(password=None), make_user(password=None)
    follow(me, them)
    client = client_for(me)
    assert _trips(lambda: client.delete(url("unfollow", them.username)), 200) == (2, 3)
    assert_counts_exact()
