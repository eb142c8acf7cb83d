"""Races on one pair of users, with real threads on separate connections (PostgreSQL)."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from rr.network.models import Network
from tests.network.helpers import url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts
from tests.support.threads import pg_deadlocks, run_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


@pytest.fixture
def pair(make_user, settings):
    # Rate limits are not what these tests exercise.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
    return make_user(password=None), make_user(password=None)


def test_the_deadlock_figure_sees_a_real_deadlock(pair):
    """The check the other tests rely on can fail: a crosswise lock is counted."""
    a, b = pair
    before = pg_deadlocks()
    both_hold_one = threading.Barrier(2, timeout=30)
    victims = []

    def lock_crosswise(i):
        first, second = (a.pk, b.pk) if i == 0 else (b.pk, a.pk)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE", [first])
                both_hold_one.wait()
                cursor.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE", [second])
        except OperationalError as exc:
            victims.append(exc)

    assert run_threads(2, lock_crosswise, barriers=[both_hold_one]) == []
    assert len(victims) == 1 and "deadlock" in str(victims[0])
    assert pg_deadlocks() - before == 1


def test_crosswise_follows_and_unfollows_never_deadlock(pair):
    a, b = pair
    rounds = 40
    before = pg_deadlocks()
    barrier = threading.Barrier(4, timeout=60)
    statuses = []

    def crosswise(i):
        me, them = (a, b) if i % 2 == 0 else (b, a)
        client = client_for(me)
        for _ in range(rounds):
            barrier.wait()
            statuses.append(client.post(url("follow", them.username)).status_code)
            barrier.wait()
            if i < 2:
                statuses.append(client.delete(url("unfollow", them.username)).status_code)
            else:
                statuses.append(client.delete(url("follower", them.username)).status_code)

    assert run_threads(4, crosswise, barriers=[barrier]) == []
    assert set(statuses) <= {200, 201, 404, 409}
    assert statuses.count(201) == 2 * rounds  # a->b and b->a, once per round each
    assert statuses.count(200) == 2 * rounds  # each link removed exactly once per round
    assert pg_deadlocks() == before
    assert_counts_exact()
    assert counts(a) == counts(b) == (0, 0)


def test_duplicate_follows_of_one_pair_make_one_link(pair):
    a, b = pair
    start = threading.Barrier(THREADS, timeout=60)
    statuses = []

    def follow(i):
        client = client_for(a)
        start.wait()
        response = client.post(url("follow", b.username))
        statuses.append(response.status_code)
        if response.status_code == 409:
            assert "already" in response.json()["error"]

    assert run_threads(THREADS, follow, barriers=[start]) == []
    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert Network.objects.filter(follower=a, following=b).count() == 1
    assert counts(a) == (0, 1) and counts(b) == (1, 0)
    assert_counts_exact()


def test_concurrent_unfollows_of_one_pair_remove_it_once(pair):
    a, b = pair
    Network.objects.create(follower=a, following=b)
    start = threading.Barrier(THREADS, timeout=60)
    statuses = []

    def unfollow(i):
        client = client_for(a)
        start.wait()
        statuses.append(client.delete(url("unfollow", b.username)).status_code)

    assert run_threads(THREADS, unfollow, barriers=[start]) == []
    assert sorted(statuses) == [200] + [404] * (THREADS - 1)
    assert not Network.objects.exists()
    assert counts(a) == counts(b) == (0, 0)
    assert_counts_exact()
