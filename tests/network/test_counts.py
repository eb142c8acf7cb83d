"""The counter rule (migration 0004's triggers): every way a follow row appears,
changes or disappears moves both users' counts in the same transaction."""

import pytest
from django.db import IntegrityError, connection, transaction

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network import services
from rr.network.models import Network
from tests.network.helpers import url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact, counts, counts_drift

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(make_user):
    return [make_user(password=None) for _ in range(3)]


def test_api_follow_unfollow_and_remove_follower(trio):
    a, b, c = trio
    assert client_for(a).post(url("follow", b.username)).status_code == 201
    assert client_for(c).post(url("follow", b.username)).status_code == 201
    assert client_for(b).post(url("follow", a.username)).status_code == 201
    assert [counts(u) for u in trio] == [(1, 1), (2, 1), (0, 1)]
    assert client_for(a).delete(url("unfollow", b.username)).status_code == 200
    assert client_for(b).delete(url("follower", c.username)).status_code == 200
    assert [counts(u) for u in trio] == [(1, 0), (0, 1), (0, 0)]
    assert_counts_exact()


def test_counts_move_inside_the_transaction_that_writes_the_row(trio):
    a, b, _ = trio
    with transaction.atomic():
        Network.objects.create(follower=a, following=b)
        assert counts(a) == (0, 1) and counts(b) == (1, 0)
        transaction.set_rollback(True)
    assert counts(a) == (0, 0) and counts(b) == (0, 0)


def test_queryset_and_instance_deletes(trio, follow):
    a, b, c = trio
    for follower, target in [(a, b), (a, c), (b, c), (c, a)]:
        follow(follower, target)
    Network.objects.filter(follower=a).delete()
    assert [counts(u) for u in trio] == [(1, 0), (0, 1), (1, 1)]
    Network.objects.get(follower=c).delete()
    assert [counts(u) for u in trio] == [(0, 0), (0, 1), (1, 0)]
    assert_counts_exact()


def test_bulk_create_and_the_bulk_delete_service(trio):
    a, b, c = trio
    Network.objects.bulk_create(
        [Network(follower=a, following=b), Network(follower=b, following=a), Network(follower=c, following=a)]
    )
    assert [counts(u) for u in trio] == [(2, 1), (1, 1), (0, 1)]
    assert services.network_links_delete(links=Network.objects.filter(following=a)) == 2
    assert [counts(u) for u in trio] == [(0, 1), (1, 0), (0, 0)]
    assert_counts_exact()


def test_raw_sql_insert_update_delete_and_truncate(trio):
    a, b, c = trio
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now()), (%s, %s, now())",
            [a.pk, b.pk, c.pk, b.pk],
        )
        assert [counts(u) for u in trio] == [(0, 1), (2, 0), (0, 1)]
        cursor.execute("UPDATE rr_network SET following_id = %s WHERE follower_id = %s", [c.pk, a.pk])
        assert [counts(u) for u in trio] == [(0, 1), (1, 0), (1, 1)]
        cursor.execute("UPDATE rr_network SET created_at = now() - interval '1 day'")  # not a key: no change
        assert [counts(u) for u in trio] == [(0, 1), (1, 0), (1, 1)]
        cursor.execute("DELETE FROM rr_network WHERE follower_id = %s", [c.pk])
        assert [counts(u) for u in trio] == [(0, 1), (0, 0), (1, 0)]
        assert_counts_exact()
        # Django's foreign keys are deferred; TRUNCATE wants their checks done first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE rr_network")
    assert [counts(u) for u in trio] == [(0, 0), (0, 0), (0, 0)]
    assert_counts_exact()


def test_the_database_refuses_what_the_rules_refuse(trio, follow):
    a, b, _ = trio
    follow(a, b)
    for statement, params in [
        ("INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())", [a.pk, b.pk]),
        ("INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (%s, %s, now())", [a.pk, a.pk]),
        ("UPDATE rr_user SET followers_count = -1 WHERE id = %s", [a.pk]),
        ("UPDATE rr_user SET following_count = -1 WHERE id = %s", [a.pk]),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert_counts_exact()


def test_a_count_never_goes_below_zero(trio, follow):
    a, b, _ = trio
    follow(a, b)
    # Drift from an outside writer (the repair command exists for it) ...
    User.objects.filter(pk=b.pk).update(followers_count=0)
    # ... never turns into a negative count, which the CHECK would refuse anyway.
    Network.objects.filter(follower=a).delete()
    assert counts(a) == (0, 0) and counts(b) == (0, 0)


@pytest.mark.parametrize("how", ["service", "plain_delete", "queryset_delete"])
def test_deleting_a_user_cascades_to_the_neighbours_counts(trio, follow, how):
    a, b, c = trio
    for follower, target in [(a, b), (b, a), (c, b), (b, c), (a, c)]:
        follow(follower, target)
    if how == "service":
        account_services.user_delete(user=b)
    elif how == "plain_delete":
        User.objects.get(pk=b.pk).delete()
    else:
        User.objects.filter(pk=b.pk).delete()
    assert not User.objects.filter(pk=b.pk).exists()
    assert counts(a) == (0, 1) and counts(c) == (1, 0)
    assert Network.objects.count() == 1
    assert_counts_exact()


def test_the_oracle_sees_drift(trio, follow):
    a, b, _ = trio
    follow(a, b)
    User.objects.filter(pk=a.pk).update(following_count=5)
    assert counts_drift() == [(a.pk, 0, 0, 5, 1)]
