"""The count repair under live follows and unfollows (real threads, separate connections).

The two staged races pin the lock protocol of rr/ops/counts.py: a batch locks its users
the way the count trigger does, then counts in a later statement. The storm runs the
repair on drifted data while threads keep following and unfollowing.
"""

import random
import threading

import pytest
from django.db import connection

from rr.common.errors import ServiceError
from rr.network import services as network_services
from tests.network.helpers import counts_drift
from rr.ops import counts
from tests.ops.helpers import blocked_by, blockers_of, follow, in_thread, joined, sql, stored_counts, wait_until
from tests.support import pg

INSERT_LINK = "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())"


def _connect():
    return pg.connect(connection.settings_dict["NAME"], autocommit=False)


@pytest.mark.django_db(transaction=True)
def test_a_follow_holding_the_users_is_waited_for_and_counted(make_user):
    a, b, c = make_user(), make_user(), make_user()
    follow(c, a)
    sql("UPDATE rr_user SET followers_count = followers_count + 4, following_count = following_count + 4")

    with _connect() as follower:
        # The follow's trigger has run (it holds a and b) but the follow is not committed.
        follower.execute(INSERT_LINK, [a.pk, b.pk])
        repair = in_thread(lambda: counts.network_counts_repair(batch_size=10))
        wait_until(lambda: blocked_by(follower.info.backend_pid) > 0, "the repair waits for the follow")
        follower.commit()
    joined(*repair)

    # Counted in a statement that started before the wait, the new link would be missed.
    assert counts_drift() == []
    assert (stored_counts(a), stored_counts(b), stored_counts(c)) == ((1, 1), (1, 0), (0, 1))


@pytest.mark.django_db(transaction=True)
def test_a_follow_arriving_while_the_batch_holds_its_users_adds_to_the_corrected_count(make_user):
    a, b, c = make_user(), make_user(), make_user()
    sql("UPDATE rr_user SET followers_count = followers_count + 4, following_count = following_count + 4")

    with _connect() as blocker, _connect() as follower:
        # A long transaction holds c, so the batch locks a and b and then waits for c.
        blocker.execute("SELECT 1 FROM rr_user WHERE id = %s FOR UPDATE", [c.pk])
        repair = in_thread(lambda: counts.network_counts_repair(batch_size=10))
        wait_until(lambda: blocked_by(blocker.info.backend_pid) > 0, "the repair waits for c")

        def insert_and_commit():
            follower.execute(INSERT_LINK, [a.pk, b.pk])
            follower.commit()

        # The row goes in; its trigger then waits for the batch's lock on a.
        inserting = threading.Thread(target=insert_and_commit)
        inserting.start()
        follower_pid = follower.info.backend_pid
        wait_until(lambda: blockers_of(follower_pid), "the follow's trigger waits for the batch")
        blocker.rollback()
        report = joined(*repair)
        inserting.join()

    assert report.updated == 3  # without the uncommitted link: the trigger adds it afterwards
    assert counts_drift() == []
    assert (stored_counts(a), stored_counts(b), stored_counts(c)) == ((0, 1), (1, 0), (0, 0))


def _churn(users, seed, stop, done, errors):
    rng = random.Random(seed)
    try:
        while not stop.is_set():
            follower, target = rng.sample(users, 2)
            try:
                if rng.random() < 0.55:
                    network_services.network_follow(follower=follower, target=target)
                else:
                    network_services.network_unfollow(follower=follower, target=target)
            except ServiceError:
                pass  # already following / not following: the race is the point
            done.append(1)
    except Exception as error:  # handed to the test, which fails with it
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_repair_under_a_storm_of_follows_and_unfollows_leaves_every_count_exact(make_user):
    users = [make_user() for _ in range(24)]
    for index, user in enumerate(users):
        follow(user, users[(index + 1) % len(users)])
    sql("UPDATE rr_user SET followers_count = followers_count + id % 5, following_count = following_count + id % 3")
    assert counts_drift()

    stop, done, errors = threading.Event(), [], []
    workers = [threading.Thread(target=_churn, args=(users, seed, stop, done, errors)) for seed in range(4)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: len(done) >= 20 or errors, "the churn gets going")
        started = len(done)
        for _ in range(5):
            counts.network_counts_repair(batch_size=3)
        overlapped = len(done) - started
    finally:
        stop.set()
        for worker in workers:
            worker.join()

    assert not errors, errors
    assert overlapped > 0
    assert counts_drift() == []
