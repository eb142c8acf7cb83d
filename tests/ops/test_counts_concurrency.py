"""The count repair under live follows and unfollows (real threads, separate connections).

The two staged races pin the lock protocol of rr/ops/counts.py: a batch locks its users
the way the count trigger does, then counts in a later statement. The staged gaps
between the lock-free scan and the repair show that the scan only chooses whom to
lock. The storm runs the repair on drifted data while threads keep following and
unfollowing.
"""

import random
import threading

import pytest
from django.db import connection

from rr.common.errors import ServiceError
from rr.network import services as network_services
from rr.ops import counts
from tests.ops.helpers import (
    blocked_by,
    blockers_of,
    follow,
    row_versions,
    sql,
)
from tests.support import pg
from tests.support.counts import counts as stored_counts
from tests.support.counts import counts_drift
from tests.support.locks import wait_for
from tests.support.threads import in_thread, join_all, joined

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
        wait_for(lambda: blocked_by(follower.info.backend_pid) > 0, "the repair waits for the follow", timeout=30)
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
        wait_for(lambda: blocked_by(blocker.info.backend_pid) > 0, "the repair waits for c", timeout=30)

        def insert_and_commit():
            follower.execute(INSERT_LINK, [a.pk, b.pk])
            follower.commit()

        # The row goes in; its trigger then waits for the batch's lock on a.
        inserting = threading.Thread(target=insert_and_commit)
        inserting.start()
        follower_pid = follower.info.backend_pid
        wait_for(lambda: blockers_of(follower_pid), "the follow's trigger waits for the batch", timeout=30)
        blocker.rollback()
        report = joined(*repair)
        join_all([inserting], 60)

    assert report.updated == 3  # without the uncommitted link: the trigger adds it afterwards
    assert counts_drift() == []
    assert (stored_counts(a), stored_counts(b), stored_counts(c)) == ((0, 1), (1, 0), (0, 0))


def _after_the_first_scan(monkeypatch, action):
    """Run `action()` once, between the first lock-free scan and the repair of what it found."""
    scan = counts._scan
    pending = [action]

    def scan_then_act(*args, **kwargs):
        found = scan(*args, **kwargs)
        while pending:
            pending.pop()()
        return found

    monkeypatch.setattr(counts, "_scan", scan_then_act)


@pytest.mark.django_db(transaction=True)
def test_the_scan_waits_for_no_lock_and_sees_through_follows_in_flight(make_user):
    a, b, c, d, e = (make_user() for _ in range(5))
    follow(c, a)
    follow(e, d)
    sql("UPDATE rr_user SET followers_count = followers_count + 2 WHERE id = %s", [a.pk])  # only a drifts

    with _connect() as first, _connect() as second:
        # Uncommitted, their triggers done: they hold every user and have moved their counts.
        first.execute(INSERT_LINK, [a.pk, b.pk])
        second.execute("DELETE FROM rr_network WHERE follower_id = %s", [e.pk])
        second.execute(INSERT_LINK, [d.pk, c.pk])
        report = counts.network_counts_repair(dry_run=True)
        first.commit()
        second.rollback()

    assert [(s.user_id, s.followers_stored, s.followers_true) for s in report.samples] == [(a.pk, 3, 1)]


@pytest.mark.django_db(transaction=True)
def test_a_follow_committed_between_the_scan_and_the_repair_is_counted(make_user, monkeypatch):
    a, b, c = make_user(), make_user(), make_user()
    follow(c, a)
    sql("UPDATE rr_user SET followers_count = followers_count + 4 WHERE id = %s", [a.pk])  # only a drifts

    def follows_commit():
        with _connect() as other:
            other.execute(INSERT_LINK, [a.pk, b.pk])  # the drifted user, seen by the scan without it
            other.execute(INSERT_LINK, [b.pk, c.pk])  # two users the scan found right
            other.commit()

    _after_the_first_scan(monkeypatch, follows_commit)
    report = counts.network_counts_repair()

    assert (report.suspected, report.updated) == (1, 1)
    assert [(s.user_id, s.followers_true, s.following_true) for s in report.samples] == [(a.pk, 1, 1)]
    assert counts_drift() == []
    assert (stored_counts(a), stored_counts(b), stored_counts(c)) == ((1, 1), (1, 1), (1, 1))


@pytest.mark.django_db(transaction=True)
def test_a_user_set_right_between_the_scan_and_the_repair_is_not_written(make_user, monkeypatch):
    a, b = make_user(), make_user()
    follow(b, a)
    sql("UPDATE rr_user SET followers_count = 7 WHERE id = %s", [a.pk])
    versions = {}

    def someone_repairs_a():
        with _connect() as other:
            other.execute("UPDATE rr_user SET followers_count = 1 WHERE id = %s", [a.pk])
            other.commit()
        versions["before"] = row_versions()

    _after_the_first_scan(monkeypatch, someone_repairs_a)
    report = counts.network_counts_repair()

    assert (report.suspected, report.differing, report.updated, report.batches) == (1, 0, 0, 1)
    assert row_versions() == versions["before"]  # locked and recounted, but not rewritten
    assert counts_drift() == []


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
        wait_for(lambda: len(done) >= 20 or errors, "the churn gets going", timeout=30)
        started = len(done)
        for _ in range(5):
            counts.network_counts_repair(batch_size=3)
        overlapped = len(done) - started
    finally:
        stop.set()
        join_all(workers, 120)

    assert not errors, errors
    assert overlapped > 0
    assert counts_drift() == []
