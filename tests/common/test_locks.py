"""rr.common.locks: the retry of a write that lost a race, and the ORM's deletion of users through users_delete."""

import psycopg
import pytest
from django.db import IntegrityError, OperationalError

from rr.accounts.models import User
from rr.common import locks
from rr.network import services
from tests.support.counts import assert_counts_exact, counts


def _raising(cause, calls):
    def action():
        calls.append(1)
        raise OperationalError(str(cause)) from cause

    return action


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cause", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure])
def test_a_write_that_keeps_losing_races_is_tried_a_bounded_number_of_times(cause):
    calls = []
    with pytest.raises(OperationalError):
        locks.write(_raising(cause("lost"), calls))
    assert len(calls) == locks.WRITE_ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_other_errors_are_not_retried():
    calls = []
    with pytest.raises(OperationalError):
        locks.write(_raising(psycopg.errors.LockNotAvailable("busy"), calls))
    assert len(calls) == 1

    def integrity():
        calls.append(1)
        raise IntegrityError("no")

    with pytest.raises(IntegrityError):
        locks.write(integrity)
    assert len(calls) == 2


@pytest.mark.django_db
def test_the_orm_deletes_of_users_lock_them_and_their_neighbours_first(make_user, monkeypatch):
    a, b, c, d = (make_user(password=None) for _ in range(4))
    for follower, target in [(a, b), (b, c), (c, d), (d, a)]:
        services.network_follow(follower=follower, target=target)
    locked = []
    real_lock = locks.users_lock

    def spy(ids, **kwargs):
        locked.append((sorted(set(ids)), kwargs.get("strength", locks.NO_KEY_UPDATE)))
        return real_lock(ids, **kwargs)

    monkeypatch.setattr(locks, "users_lock", spy)

    b_id = b.pk
    deleted, per_model = b.delete()
    assert b.pk is None and deleted == sum(per_model.values())
    assert per_model["rr.User"] == 1 and per_model["rr.Network"] == 2
    assert locked[0] == (sorted([a.pk, b_id, c.pk]), locks.UPDATE)  # b and its neighbours, before anything

    locked.clear()
    deleted, per_model = User.objects.filter(pk__in=[c.pk, d.pk]).delete()
    assert per_model["rr.User"] == 2 and per_model["rr.Network"] == 2
    assert locked[0] == (sorted([a.pk, c.pk, d.pk]), locks.UPDATE)
    assert counts(a) == (0, 0)
    assert_counts_exact()


@pytest.mark.django_db
def test_the_orm_deletes_of_users_refuse_what_django_refuses():
    for queryset in (User.objects.all()[:1], User.objects.values("pk"), User.objects.distinct()):
        with pytest.raises(TypeError):
            queryset.delete()
