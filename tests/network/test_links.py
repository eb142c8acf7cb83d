"""rr.network.links: a follow that lost a deadlock is run again; the ORM's deletion of links goes through links_delete."""

import threading

import psycopg
import pytest
from django.db import connection

from rr.accounts.models import User
from rr.common import locks
from rr.network import services
from rr.network.models import Network
from tests.network.helpers import url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts
from tests.support.locks import wait_for, waits_for_a_lock
from tests.support.threads import join_all, pg_deadlocks


def _dsn():
    settings = connection.settings_dict
    return {
        "host": settings["HOST"],
        "port": settings["PORT"],
        "user": settings["USER"],
        "dbname": settings["NAME"],
    }


@pytest.mark.django_db(transaction=True)
def test_a_follow_that_loses_a_deadlock_is_retried_and_answers_201(make_user, caplog, monkeypatch):
    """A foreign transaction (an operator's SQL, out of the lock order) deadlocks the follow.

    It holds `them` and then asks for `me` while the follow holds `me` and waits for
    `them`. The follow's backend checks for deadlocks first (its deadlock_timeout is the
    shorter), so it is the one PostgreSQL aborts; the service runs it again once the
    foreign transaction has committed, and the client sees a 201.

    The test holds the retry until then: row locks do not queue, so a retry sent at once
    may re-lock `me` before the foreign transaction, woken by the abort, takes it, and lose
    again (twice in 1 of 10 runs at load 1.4; three losses exhaust locks.WRITE_ATTEMPTS).
    """
    me, them = make_user(password=None), make_user(password=None)
    assert me.pk < them.pk  # the follow locks me first, then waits for them
    client = client_for(me)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        follow_pid = cursor.fetchone()[0]
        cursor.execute("SET deadlock_timeout = '2s'")  # margin for a loaded machine
    holding, ended = threading.Event(), threading.Event()
    errors = []

    def out_of_order():
        try:
            with psycopg.connect(**_dsn()) as other:
                other.execute("SET deadlock_timeout = '20s'")
                other.execute("SELECT id FROM rr_user WHERE id = %s FOR UPDATE", [them.pk])
                holding.set()
                wait_for(lambda: waits_for_a_lock(other, follow_pid), "the follow to wait for them")
                other.execute("SELECT id FROM rr_user WHERE id = %s FOR UPDATE", [me.pk])
                other.execute("SELECT pg_stat_force_next_flush()")
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
            holding.set()
        finally:
            ended.set()

    real_lost_race = locks._lost_race

    def lost_race_then_wait(exc):
        # Called once the lost attempt has rolled back (its locks are released).
        lost = real_lost_race(exc)
        if lost:
            assert ended.wait(30), "the foreign transaction did not end"
        return lost

    monkeypatch.setattr(locks, "_lost_race", lost_race_then_wait)
    deadlocks_before = pg_deadlocks()
    thread = threading.Thread(target=out_of_order)
    thread.start()
    try:
        assert holding.wait(10)
        response = client.post(url("follow", them.username))
    finally:
        join_all([thread], 30)
        with connection.cursor() as cursor:
            cursor.execute("RESET deadlock_timeout")
    assert errors == []
    assert response.status_code == 201, response.content
    # There was a deadlock, the follow lost it once and was run again, and the client never saw it.
    # (The database-wide figure may also count a late-flushed report of an earlier test.)
    assert pg_deadlocks() > deadlocks_before
    retries = [r for r in caplog.records if r.getMessage() == "graph write lost a race, retrying"]
    assert len(retries) == 1
    assert "deadlock detected" in retries[0].error
    assert Network.objects.filter(follower=me, following=them).count() == 1
    assert counts(me) == (0, 1) and counts(them) == (1, 0)
    assert_counts_exact()


@pytest.mark.django_db
def test_the_orm_deletes_of_links_go_through_the_graph(make_user, monkeypatch):
    a, b, c = (make_user(password=None) for _ in range(3))
    links = [services.network_follow(follower=f, target=t) for f, t in [(a, b), (b, a), (c, a), (c, b)]]
    locked = []
    real_lock = locks.users_lock
    monkeypatch.setattr(locks, "users_lock", lambda ids, **kw: locked.append(sorted(set(ids))) or real_lock(ids, **kw))

    assert Network.objects.get(pk=links[0].pk).delete() == (1, {"rr.Network": 1})
    assert locked == [sorted([a.pk, b.pk])]
    assert Network.objects.filter(follower=c).delete() == (2, {"rr.Network": 2})
    assert locked[1] == sorted([a.pk, b.pk, c.pk])
    assert counts(a) == (1, 0) and counts(b) == (0, 1) and counts(c) == (0, 0)
    assert_counts_exact()


@pytest.mark.django_db
def test_the_admin_cannot_add_or_edit_links(make_user):
    from django.test import Client

    admin = User.objects.create_superuser("root", "root passphrase 42")
    browser = Client()
    browser.force_login(admin)
    a, b = make_user(), make_user()
    link = services.network_follow(follower=a, target=b)
    assert browser.get("/admin/rr/network/add/").status_code == 403
    response = browser.post(f"/admin/rr/network/{link.pk}/change/", {"follower": b.pk, "following": a.pk})
    assert response.status_code == 403
    assert Network.objects.get(pk=link.pk).follower_id == a.pk


@pytest.mark.django_db
def test_the_orm_deletes_of_links_refuse_what_django_refuses():
    for queryset in (Network.objects.all()[:1], Network.objects.values("pk"), Network.objects.distinct()):
        with pytest.raises(TypeError):
            queryset.delete()
