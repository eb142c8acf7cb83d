"""A storm on the follow graph: many threads, a dozen users, every kind of write at once.

8 threads run 400 synchronised rounds (one operation each per round, 3,200 in all)
on 12 users, so that operations collide: random follows (requests when the target
approves followers), unfollows, follower removals, accepting, rejecting and
cancelling requests, blocks and unblocks, nudges, networking and approval toggles
and list reads; rounds where every thread follows the same pair, then
unfollows it; rounds where half follow A->B and half B->A, then undo it crosswise;
rounds where half follow A->B and B->A while the other half block the pair. Meanwhile users are deactivated and deleted (users_delete) while
the other threads act on them. Everything but the deactivations and deletions goes
through the HTTP API, so a 500 cannot hide.

Afterwards: every user's counts equal rr_network's truth, none is negative, no link
or pending request crosses a block, every pending request is to a user who approves
followers with networking on, every response had a status its operation allows, no
thread raised, and pg_stat_database.deadlocks did not move.
"""

import random
import threading
from collections import Counter
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network.models import Block, FollowRequest, Network
from tests.network.helpers import SETTINGS_URL, url
from tests.support.counts import assert_counts_exact
from tests.support.threads import run_storm

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 400
USERS = 12
SEED = 20250619
# round -> (event, index of the user it strikes); thread 0 runs it while the others act on that user.
EVENTS = {70: ("deactivate", 11), 140: ("delete", 10), 200: ("deactivate", 9), 260: ("delete", 8), 330: ("delete", 7)}
APPROVING = {0, 1, 2, 3}  # start with follow approval on
STRUCK = {index for _, index in EVENTS.values()}
ALLOWED = {
    "follow": {201, 202, 403, 404, 409},
    "duplicate follow": {201, 202, 409, 403, 404},
    "crosswise follow": {201, 202, 409, 403, 404},
    "blocking follow": {201, 202, 409, 403, 404},
    "block": {201, 404, 409},
    "crosswise block": {201, 404, 409},
    "unblock": {200, 404},
    "accept": {200, 404},
    "reject": {200, 404},
    "cancel": {200, 404},
    "nudge": {201, 403, 404, 409, 429},
    "toggle approval": {200},
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
            elif style == "block":
                ops = [("unblock", a, b), ("unblock", b, a), ("accept", a, b), ("accept", b, a)] * (THREADS // 4)
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
            elif roll < 0.28:
                # Follows of the pair both ways against blocks of it both ways.
                a, b = rng.sample(alive, 2)
                ops = [
                    ("blocking follow", a, b),
                    ("crosswise block", a, b),
                    ("blocking follow", b, a),
                    ("crosswise block", b, a),
                ] * (THREADS // 4)
                pending_pair = ((a, b), "block")
            else:
                for t in range(THREADS):
                    kind = rng.choices(
                        [
                            "follow",
                            "unfollow",
                            "remove follower",
                            "toggle networking",
                            "list",
                            "accept",
                            "reject",
                            "cancel",
                            "block",
                            "unblock",
                            "nudge",
                            "toggle approval",
                        ],
                        weights=[40, 20, 10, 6, 8, 14, 5, 5, 4, 6, 6, 6],
                    )[0]
                    # Now and then somebody who has left acts or is acted on.
                    pool = alive if rng.random() < 0.95 else list(range(USERS))
                    a, b = rng.sample(pool, 2)
                    ops[t] = (kind, a, b)
        plan.append(ops)
    return plan


def _pending(client, direction, rng, other_name=None):
    """(a pending request id of the actor's incoming or outgoing list, one with `other_name` first, or
    None; the list's response)."""
    response = client.get(f"/api/network/requests/{direction}/")
    if response.status_code != 200:
        return None, response
    rows = response.json()["requests"]
    chosen = [r for r in rows if r["username"] == other_name] or rows
    return (rng.choice(chosen)["id"] if chosen else None), response


def _request(client, kind, other_name, rng):
    if kind in ("accept", "reject", "cancel"):
        request_id, listed = _pending(client, "outgoing" if kind == "cancel" else "incoming", rng, other_name)
        if listed.status_code != 200:
            return listed  # the actor was deactivated or deleted: 401
        if request_id is None:
            return None
        if kind == "accept":
            return client.post(f"/api/network/requests/{request_id}/accept/")
        return client.delete(f"/api/network/requests/{request_id}/")
    if kind == "unblock":
        return client.delete(f"/api/network/blocks/{quote(other_name, safe='')}/")
    if kind.endswith("block"):
        return client.post(f"/api/network/blocks/{quote(other_name, safe='')}/")
    if kind == "nudge":
        return client.post(f"/api/network/nudges/{quote(other_name, safe='')}/")
    if kind == "toggle approval":
        return client.patch(SETTINGS_URL, {"follow_approval": rng.random() < 0.5}, format="json")
    if kind.endswith("follow") and "unfollow" not in kind:
        return client.post(url("follow", other_name))
    if "unfollow" in kind:
        return client.delete(url("unfollow", other_name))
    if "remove follower" in kind:
        return client.delete(url("follower", other_name))
    if kind == "toggle networking":
        return client.patch(SETTINGS_URL, {"allow_networking": rng.random() < 0.75}, format="json")
    return client.get(url("list", rng.choice(["following", "followers"])))


def test_network_storm(unthrottled):
    users = [account_services.account_create(username=f"storm_{i:02d}") for i in range(USERS)]
    User.objects.filter(pk__in=[users[i].pk for i in APPROVING]).update(follow_approval=True)
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
                    if response is None:  # nothing pending to accept, reject or cancel
                        status = "nothing pending"
                        with lock:
                            outcomes[(kind, status)] += 1
                        continue
                    status = response.status_code
                    # 401 only for an actor a deactivation or deletion strikes.
                    if status not in ALLOWED[kind] and not (status == 401 and actor in STRUCK):
                        unexpected.append((number, kind, names[actor], names[other], status, response.content[:200]))
            except Exception as exc:  # every failure is collected and fails the test below
                unexpected.append((number, kind, names[actor], names[other], repr(exc)))
                status = "exception"
            with lock:
                outcomes[(kind, status)] += 1

    errors, elapsed, deadlocks = run_storm(THREADS, storm, barriers=[barrier])

    by_kind = Counter()
    by_status = Counter()
    for (kind, status), n in outcomes.items():
        by_kind[kind] += n
        by_status[status] += n
    print(f"\nstorm: {THREADS} threads, {USERS} users, {sum(by_kind.values())} operations in {elapsed:.1f} s")
    print("operations by kind:", dict(sorted(by_kind.items())))
    print("outcomes by status:", dict(sorted(by_status.items(), key=str)))
    print("outcomes by kind and status:", dict(sorted(outcomes.items(), key=str)))
    print(f"pg_stat_database.deadlocks during the storm: {deadlocks}")
    print(f"links left: {Network.objects.count()}")

    assert errors == []
    assert unexpected == []
    assert sum(by_kind.values()) == THREADS * ROUNDS >= 3000
    assert deadlocks == 0
    assert_counts_exact()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM rr_block b JOIN rr_network n ON (n.follower_id, n.following_id)"
            " IN ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id))"
        )
        assert cursor.fetchone()[0] == 0, "a link crosses a block"
        cursor.execute(
            "SELECT count(*) FROM rr_block b JOIN rr_follow_request r ON (r.requester_id, r.target_id)"
            " IN ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id))"
        )
        assert cursor.fetchone()[0] == 0, "a pending request crosses a block"
    assert not FollowRequest.objects.exclude(target__follow_approval=True, target__allow_networking=True).exists()
    print(f"blocks left: {Block.objects.count()}, pending requests left: {FollowRequest.objects.count()}")
    # Requests, blocks, nudges and the toggles happened and collided too.
    for kind, status in [
        ("follow", 202),
        ("accept", 200),
        ("reject", 200),
        ("cancel", 200),
        ("block", 201),
        ("crosswise block", 409),
        ("unblock", 200),
        ("nudge", 201),
        ("toggle approval", 200),
    ]:
        assert outcomes[(kind, status)] >= 1, (kind, status)
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
