"""Property test of the follow graph: any sequence of graph actions keeps it consistent.

A hypothesis state machine drives the services (network_follow, network_unfollow,
network_follower_remove, network_links_delete, networking_set, user_deactivate,
user_delete, account_create) on real PostgreSQL, and keeps a model of what the graph
must be. After every step: the rows of rr_network are exactly the model's pairs (so no
self-follow and no duplicate), every user's stored counts equal the true counts and
none is negative, and each refused action was refused with the ServiceError kind the
rules call for (anything else, a database error included, fails the test).

Each run of the machine lives in a savepoint rolled back at its end, so runs do not
see each other's users.
"""

import itertools
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.common.errors import Conflict, Forbidden, NotFound, ServiceError, Unauthorized
from rr.network import services
from rr.network.models import Network
from tests.support.counts import assert_counts_exact

_names = itertools.count(1)


@dataclass
class Person:
    """The model's view of one user; `obj` is the last Python object the caller held."""

    obj: User
    active: bool = True
    allow: bool = True
    deleted: bool = False


def _current(person):
    """The user as a request would load it now; a deleted user's last object otherwise."""
    return User.objects.filter(pk=person.obj.pk).first() or person.obj


class FollowGraph(RuleBasedStateMachine):
    users = Bundle("users")

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.edges = set()  # (follower id, following id)
        self.people = {}
        self.outcomes = []

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _expect(self, expected, action):
        """Run `action`; it must raise exactly `expected` (a ServiceError class) or succeed if None."""
        try:
            action()
        except ServiceError as exc:
            assert type(exc) is expected, f"raised {type(exc).__name__} ({exc.message}), expected {expected}"
            self.outcomes.append(type(exc).__name__)
            return False
        assert expected is None, f"succeeded, expected {expected.__name__}"
        self.outcomes.append("ok")
        return True

    def _new_person(self):
        user = account_services.account_create(username=f"prop_{next(_names)}", password=None)
        person = Person(obj=user)
        self.people[user.pk] = person
        return person

    @initialize(target=users)
    def first_users(self):
        return self._new_person()

    @rule(target=users)
    def sign_up(self):
        return self._new_person()

    @rule(person=users)
    def sign_up_with_a_taken_name(self, person):
        # New names must not collide with existing ones, whatever their case.
        taken = person.obj.username.upper()
        live_names = {p.obj.username.lower() for p in self.people.values() if not p.deleted}
        expected = Conflict if taken.lower() in live_names else None
        created = []
        self._expect(expected, lambda: created.append(account_services.account_create(username=taken, password=None)))
        for user in created:
            self.people[user.pk] = Person(obj=user)

    @rule(follower=users, followee=users)
    def follow(self, follower, followee):
        pair = (follower.obj.pk, followee.obj.pk)
        if follower is followee:
            expected = Conflict
        elif not followee.allow:
            expected = Forbidden
        elif pair in self.edges:
            expected = Conflict
        elif not follower.active or follower.deleted:
            expected = Unauthorized
        elif not followee.active or followee.deleted:
            expected = NotFound
        else:
            expected = None
        if self._expect(
            expected, lambda: services.network_follow(follower=_current(follower), target=_current(followee))
        ):
            self.edges.add(pair)

    @rule(follower=users, followee=users)
    def unfollow(self, follower, followee):
        pair = (follower.obj.pk, followee.obj.pk)
        expected = None if pair in self.edges else NotFound
        self._expect(
            expected, lambda: services.network_unfollow(follower=_current(follower), target=_current(followee))
        )
        self.edges.discard(pair)

    @rule(user=users, follower=users)
    def remove_follower(self, user, follower):
        pair = (follower.obj.pk, user.obj.pk)
        expected = None if pair in self.edges else NotFound
        self._expect(
            expected, lambda: services.network_follower_remove(user=_current(user), follower=_current(follower))
        )
        self.edges.discard(pair)

    @rule(person=users)
    def drop_everyone_they_follow(self, person):
        # The admin's bulk path: any set of rows, deleted under the graph's lock order.
        gone = {pair for pair in self.edges if pair[0] == person.obj.pk}
        deleted = services.network_links_delete(links=Network.objects.filter(follower_id=person.obj.pk))
        assert deleted == len(gone)
        self.edges -= gone

    @rule(person=users, allow=st.booleans())
    def set_networking(self, person, allow):
        services.networking_set(user=_current(person), allow=allow)
        person.allow = person.obj.allow_networking = allow

    @rule(person=users)
    def deactivate(self, person):
        account_services.user_deactivate(user=_current(person))
        person.active = person.obj.is_active = False

    @rule(person=users)
    def delete(self, person):
        account_services.user_delete(user=_current(person))
        person.deleted = True
        self.edges = {pair for pair in self.edges if person.obj.pk not in pair}

    @invariant()
    def rows_are_the_model(self):
        rows = list(
            Network.objects.filter(follower_id__in=list(self.people)).values_list("follower_id", "following_id")
        )
        assert len(rows) == len(set(rows)), "a duplicate pair"
        assert set(rows) == self.edges
        assert all(a != b for a, b in rows), "a self-follow"

    @invariant()
    def counts_are_the_truth(self):
        assert_counts_exact()
        live = {pk: person for pk, person in self.people.items() if not person.deleted}
        stored = {
            pk: (followers, following)
            for pk, followers, following in User.objects.filter(pk__in=list(live)).values_list(
                "pk", "followers_count", "following_count"
            )
        }
        assert set(stored) == set(live)
        for pk, (followers, following) in stored.items():
            assert followers == sum(1 for _, b in self.edges if b == pk)
            assert following == sum(1 for a, _ in self.edges if a == pk)


# A few seconds: 40 runs of up to 30 steps, plus the shrinking of a failure.
RUNS = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.django_db
def test_any_sequence_of_graph_actions_keeps_the_graph_consistent():
    outcomes = []

    class Recorded(FollowGraph):
        def teardown(self):
            outcomes.extend(self.outcomes)
            super().teardown()

    run_state_machine_as_test(Recorded, settings=RUNS)
    print(f"follow graph: {RUNS.max_examples} runs, {len(outcomes)} checked actions")

    assert connection.vendor == "postgresql"
    # The runs reached every kind of outcome, so every expectation above was exercised.
    assert {"ok", "Conflict", "Forbidden", "NotFound", "Unauthorized"} <= set(outcomes)
