"""users_delete / user_delete (rr.accounts.services over rr.common.locks) and user_deactivate: leaving the network."""

import threading

import psycopg
import pytest
from django.db import connection

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists.models import Checklist
from rr.common import locks
from rr.network import services
from rr.network.models import Network
from tests.network.helpers import url, utc
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts
from tests.support.locks import wait_for, waits_for_a_lock
from tests.support.responses import assert_refused
from tests.support.threads import join_all


@pytest.mark.django_db
def test_user_delete_takes_links_checklists_and_counts_along(make_user, follow, checklist):
    a, b, c = (make_user(password=None) for _ in range(3))
    for follower, target in [(a, b), (b, a), (c, b), (b, c), (c, a)]:
        follow(follower, target)
    checklist(b, utc(2025, 6, 19, 8), total=2, resolved=1)
    account_services.user_delete(user=b)
    assert not User.objects.filter(pk=b.pk).exists()
    assert not Checklist.objects.filter(user_id=b.pk).exists()
    assert list(Network.objects.values_list("follower_id", "following_id")) == [(c.pk, a.pk)]
    assert counts(a) == (1, 0) and counts(c) == (0, 1)
    assert_counts_exact()
    account_services.user_delete(user=b)  # already gone: nothing to do


@pytest.mark.django_db
def test_users_delete_handles_users_linked_to_each_other(make_user, follow):
    a, b, c, d = (make_user(password=None) for _ in range(4))
    for follower, target in [(a, b), (b, a), (a, c), (c, d), (d, b)]:
        follow(follower, target)
    account_services.users_delete(user_ids=[a.pk, b.pk])
    assert set(User.objects.values_list("pk", flat=True)) >= {c.pk, d.pk}
    assert not User.objects.filter(pk__in=[a.pk, b.pk]).exists()
    assert counts(c) == (0, 1) and counts(d) == (1, 0)
    assert_counts_exact()


@pytest.mark.django_db
def test_a_deactivated_user_leaves_lists_and_cannot_be_followed(make_user, follow):
    me, them, fan = (make_user(password=None) for _ in range(3))
    follow(me, them)
    follow(them, me)
    follow(fan, them)
    token_holder = client_for(them)
    account_services.user_deactivate(user=them)

    assert client_for(me).get(url("list", "following")).json()["users"] == []
    assert client_for(me).get(url("list", "followers")).json()["count"] == 0
    assert_refused(client_for(me).post(url("follow", them.username)), 404)
    assert_refused(token_holder.get(url("list", "following")), 401)
    # The links stay, and the counts keep mirroring rr_network.
    assert Network.objects.filter(following=them).count() == 2
    assert counts(them) == (2, 1)
    assert_counts_exact()


@pytest.mark.django_db(transaction=True)
def test_a_neighbour_appearing_mid_delete_is_locked_in_order_on_retry(make_user, monkeypatch):
    """The NOWAIT/retry path of users_delete, made deterministic.

    Right after users_delete reads the victim's neighbours, another connection makes
    `late` follow the victim and keeps `late` locked. The NOWAIT lock on `late` must
    fail, the attempt roll back, and the retry wait for `late` in id order.
    """
    late, victim, friend = (make_user(password=None) for _ in range(3))
    services.network_follow(follower=friend, target=victim)
    real_neighbour_ids = locks._neighbour_ids
    calls = []
    holding = threading.Event()
    release_error = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        deleter_pid = cursor.fetchone()[0]
    dsn = {
        "host": connection.settings_dict["HOST"],
        "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"],
        "dbname": connection.settings_dict["NAME"],
        "autocommit": True,
    }

    def hold_late_until_the_deleter_waits():
        try:
            with psycopg.connect(**dsn) as other:
                other.execute(
                    "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())",
                    [late.pk, victim.pk],
                )
                with other.transaction():
                    other.execute("SELECT id FROM rr_user WHERE id = %s FOR NO KEY UPDATE", [late.pk])
                    holding.set()
                    wait_for(lambda: waits_for_a_lock(other, deleter_pid), "the retry to wait for late")
        except BaseException as exc:  # reported to the test below
            release_error.append(exc)
            holding.set()

    holder = threading.Thread(target=hold_late_until_the_deleter_waits)

    def neighbour_ids(user_ids):
        calls.append(set(user_ids))
        found = real_neighbour_ids(user_ids)
        if len(calls) == 1:
            holder.start()
            assert holding.wait(10)
        return found

    monkeypatch.setattr(locks, "_neighbour_ids", neighbour_ids)
    account_services.user_delete(user=victim)
    join_all([holder], 10)
    assert not release_error
    assert len(calls) == 4  # two reads per attempt, two attempts
    assert not User.objects.filter(pk=victim.pk).exists()
    assert counts(late) == (0, 0) and counts(friend) == (0, 0)
    assert_counts_exact()
