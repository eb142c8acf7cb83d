"""rr.network.rules: the ladder's SQL form (DIRECT_FOLLOW_SQL) and its Python form (follow_decision) agree."""

import itertools

import pytest
from django.db import connection, transaction

from rr.common import locks
from rr.common.errors import ServiceError
from rr.network import links, rules, services
from rr.network.models import Network

pytestmark = pytest.mark.django_db

# (follower active, target active, target networking, target approval, block, linked)
STATES = list(
    itertools.product(
        [True, False], [True, False], [True, False], [True, False], [None, "by follower", "by target"], [False, True]
    )
)


def _sql_allows(follower_id, target_id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rules.DIRECT_FOLLOW_SQL}", {"follower": follower_id, "following": target_id})
        return cursor.fetchone()[0]


def _python_decides(follower, target):
    with transaction.atomic():
        users = locks.users_lock([follower.pk, target.pk])
        blocked, linked = links.pair_state(follower.pk, target.pk)
        try:
            return rules.follow_decision(follower=follower, target=target, users=users, linked=linked, blocked=blocked)
        except ServiceError as refusal:
            return refusal.code


@pytest.mark.parametrize("state", STATES)
def test_the_insert_goes_in_exactly_where_the_ladder_says_follow(make_user, state):
    follower_active, target_active, networking, approval, block, linked = state
    follower, target = make_user(password=None), make_user(password=None)
    if linked:
        Network.objects.create(follower=follower, following=target)
    if block == "by follower":
        services.block_create(user=follower, target=target)
    elif block == "by target":
        services.block_create(user=target, target=follower)
    type(follower).objects.filter(pk=follower.pk).update(is_active=follower_active)
    type(target).objects.filter(pk=target.pk).update(
        is_active=target_active, allow_networking=networking, follow_approval=approval
    )
    decided = _python_decides(follower, target)
    assert _sql_allows(follower.pk, target.pk) == (decided == rules.FOLLOW), decided


def test_nobody_follows_themselves_in_either_form(make_user):
    me = make_user(password=None)
    assert _sql_allows(me.pk, me.pk) is False
    assert _python_decides(me, me) == "cannot_follow_self"
