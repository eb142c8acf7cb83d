"""A storm on the follow graph: many threads, a dozen users, every kind of write at once.

8 threads run 260 synchronised rounds (one operation each per round, 2,080 in all)
on 12 users, so that operations collide: random follows, unfollows, follower
removals, networking toggles and list reads; rounds where every thread follows the
same pair, then unfollows it; rounds where half follow A->B and half B->A, then
undo it crosswise. Meanwhile users are deactivated and deleted (users_delete) while
the other threads act on them. Everything but the deactivations and deletions goes
through the HTTP API, so a 500 cannot hide.

Afterwards: every user's counts equal rr_network's truth, none is negative, every
response had a status its operation allows, no thread raised, and
pg_stat_database.deadlocks did not move.
"""

import random
import threading
import time
from collections import Counter

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network.models import Network
from tests.network.helpers import SETTINGS_URL, url
from tests.support.counts import assert_counts_exact
from tests.support.threads import pg_deadlocks, run_threads

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 260
USERS = 12
SEED = 20250619
# round -> (event, index of the user it strikes); thread 0 runs it while the others act on that user.
EVENTS = {50: ("deactivate", 11), 90: ("delete", 10), 130: ("deactivate", 9), 170: ("delete", 8), 210: ("delete", 7)}
STRUCK = {index for _, index in EVENTS.values()}
ALLOWED = {
    "follow": {201, 403, 404, 409},
    "duplicate follow": {201, 409, 403, 404},
    "crosswise follow": {201, 409, 403, 404},
    "unfollow": {200, 404},
    "duplicate unfollow": {200, 404},
    "crosswise unfollow": {200, 404},
    "remove follower": {200, 404},
    "crosswise remove follower": {200, 404},
    "toggle networking": {200},
    "list": {200},
}


def _plan(rng):
    """What every thread does in every round: (kind, actor index, other index) or an event."""
    gone = set()
    plan = []
    pending_pair = None
    for number in range(ROUNDS):
        alive = [i for i in range(USERS) if i not in gone]
        ops = [None] * THREADS
        if number in EVENTS:
            event, victim = EVENTS[number]
            ops[0] = (event, victim, None)
            for t in range(1, THREADS):
                kind = rng.choice(["follow", "unfollow", "remove follower", "list", "follow"])
                other = rng.choice([i for i in alive if i != victim])
                # Half act on the victim, half as the victim.
                ops[t] = (kind, victim, other) if t % 2 else (kind, other, victim)
            gone.add(victim)
        elif pending_pair is not None:
            (a, b), style = pending_pair
            if style == "duplicate":
                ops = [("duplicate unfollow", a, b)] * THREADS
            else:
                ops = [("crosswise unfollow", a, b), ("crosswise remove follower", b, a)] * (THREADS // 2)
            pending_pair = None
        else:
            roll = rng.random()
            if roll < 0.1:
                a, b = rng.sample(alive, 2)
                ops = [("duplicate follow", a, b)] * THREADS
                pending_pair = ((a, b), "duplicate")
            elif roll < 0.2:
                a, b = rng.sample(alive, 2)
                ops = [("crosswise follow", a, b), ("crosswise follow", b, a)] * (THREADS // 2)
                pending_pair = ((a, b), "crosswise")
            else:
                for t in range(THREADS):
                    kind = rng.choices(
                        ["follow", "unfollow", "remove follower", "toggle networking", "list"],
                        weights=[40, 25, 15, 10, 10],
                    )[0]
                    # Now and then somebody who has left acts or is acted on.
                    pool = alive if rng.random() < 0.95 else list(range(USERS))
                    a, b = rng.sample(pool, 2)
                    ops[t] = (kind, a, b)
        plan.append(ops)
    return plan


def _request(client, kind, other_name, rng):
    if kind.endswith("follow") and "unfollow" not in kind:
        return client.post(url("follow", other_name))
    if "unfollow" in kind:
        return client.delete(url("unfollow", other_name))
    if "remove follower" in kind:
        return client.delete(url("follower", other_name))
    if kind == "toggle networking":
        return client.patch(SETTINGS_URL, {"allow_networking": rng.random() < 0.75}, format="json")
    return client.get(url("list", rng.choice(["following", "followers"])))


@pytest.fixture
def unthrottled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }


def test_network_storm(unthrottled):
    users = [account_services.account_create(username=f"storm_{i:02d}") for i in range(USERS)]
    tokens = [account_services.tokens_for(user)["access"] for user in users]
    names = [user.username for user in users]
    plan = _plan(random.Random(SEED))
    barrier = threading.Barrier(THREADS, timeout=120)
    outcomes = Counter()
    unexpected = []
    struck = {}
    lock = threading.Lock()

    def storm(t):
        rng = random.Random(SEED + t)
        client = APIClient()
        for number, ops in enumerate(plan):
            barrier.wait()
            kind, actor, other = ops[t]
            try:
                if kind == "deactivate":
                    account_services.user_deactivate(user=users[actor])
                    struck[actor] = ("deactivate", timezone.now())
                    status = "done"
                elif kind == "delete":
                    account_services.user_delete(user=users[actor])
                    struck[actor] = ("delete", timezone.now())
                    status = "done"
                else:
                    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[actor]}")
                    response = _request(client, kind, names[other], rng)
                    status = response.status_code
                    # 401 only for an actor a deactivation or deletion strikes.
                    if status not in ALLOWED[kind] and not (status == 401 and actor in STRUCK):
                        unexpected.append((number, kind, names[actor], names[other], status, response.content[:200]))
            except Exception as exc:  # every failure is collected and fails the test below
                unexpected.append((number, kind, names[actor], names[other], repr(exc)))
                status = "exception"
            with lock:
                outcomes[(kind, status)] += 1

    deadlocks_before = pg_deadlocks()
    started = time.monotonic()
    errors = run_threads(THREADS, storm, barriers=[barrier])
    elapsed = time.monotonic() - started
    deadlocks_after = pg_deadlocks()

    by_kind = Counter()
    by_status = Counter()
    for (kind, status), n in outcomes.items():
        by_kind[kind] += n
        by_status[status] += n
    print(f"\nstorm: {THREADS} threads, {USERS} users, {sum(by_kind.values())} operations in {elapsed:.1f} s")
    print("operations by kind:", dict(sorted(by_kind.items())))
    print("outcomes by status:", dict(sorted(by_status.items(), key=str)))
    print("outcomes by kind and status:", dict(sorted(outcomes.items(), key=str)))
    print(f"pg_stat_database.deadlocks: before {deadlocks_before}, after {deadlocks_after}")
    print(f"links left: {Network.objects.count()}")

    assert errors == []
    assert unexpected == []
    assert sum(by_kind.values()) == THREADS * ROUNDS >= 2000
    assert deadlocks_after == deadlocks_before
    assert_counts_exact()
    # Every kind of operation happened and the collisions really collided.
    assert outcomes[("duplicate follow", 201)] >= 1 and outcomes[("duplicate follow", 409)] >= 1
    assert outcomes[("duplicate unfollow", 200)] >= 1 and outcomes[("duplicate unfollow", 404)] >= 1
    assert outcomes[("crosswise follow", 201)] >= 1 and outcomes[("remove follower", 200)] >= 1
    assert outcomes[("follow", 403)] >= 1 and outcomes[("toggle networking", 200)] >= 1
    # Users struck by an event: deleted ones are gone, deactivated ones gained no follower afterwards.
    for index, (event, when) in struck.items():
        if event == "delete":
            assert not User.objects.filter(pk=users[index].pk).exists()
        else:
            assert not User.objects.get(pk=users[index].pk).is_active
            assert not Network.objects.filter(following=users[index], created_at__gt=when).exists()
    assert len(struck) == len(EVENTS)
