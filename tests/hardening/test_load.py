"""The load run of bench/load, short: 50 simulated users for 10 s against gunicorn.

`make bench` runs the long version (30 s; `make bench-full` 60 s) and reports its throughput;
both fail on any 5xx, any request left unanswered, any answer outside what the mix
expects, or a database that differs from the writes the server acknowledged. This
test checks no speed (the machine may be busy): only that nothing was lost or wrong.
"""

import pytest

from bench.load.run import MIX, Options, Results, check_database, read_your_writes_violations, run
from bench.load.server import derived_name
from rr.accounts import services as account_services
from rr.network import services as network_services
from tests.hardening.conftest import live_database_url


@pytest.mark.slow
def test_fifty_users_for_ten_seconds_lose_nothing():
    # A database of its own: `make bench` may be running the long version beside it.
    report = run(Options(users=50, seconds=10, workers=4), database_name=derived_name("load_test"))
    print("\n" + report.summary())

    assert report.server_errors == 0
    assert report.lost == 0
    assert report.unexpected == []
    assert report.problems == []
    assert set(report.by_op) == set(MIX)
    assert report.stored["follow_pairs"] > 0 and report.stored["regrets"] > 0


@pytest.mark.django_db(transaction=True)
def test_the_database_check_finds_a_write_that_was_acknowledged_but_is_missing():
    alice = account_services.account_create(username="alice_load")
    bob = account_services.account_create(username="bob_load")
    network_services.network_follow(follower=alice, target=bob)
    results = Results(signed_up=["alice_load", "bob_load"])
    results.follows[("alice_load", "bob_load")] = 1

    assert check_database(live_database_url(), results)[0] == []

    results.follows[("bob_load", "alice_load")] = 1  # acknowledged, never stored
    results.regrets_created = 1
    problems, _ = check_database(live_database_url(), results)

    assert len(problems) == 2
    assert "('bob_load', 'alice_load')" in problems[0]
    assert problems[1] == "regrets: 0 in the database, 1 acknowledged"


def test_a_follow_missing_from_its_read_back_is_a_violation_unless_its_target_removed_it_meanwhile():
    pair = ("alice_load", "bob_load")
    results = Results()
    results.readback_misses.append((pair, 10.0, 10.5))  # follow sent at 10.0, list answered at 10.5

    assert read_your_writes_violations(results) == [pair]

    results.removals[pair].append((9.0, 9.8))  # bob removed alice before the follow was sent
    results.removals[("carol_load", "bob_load")].append((10.1, 10.2))  # another pair
    assert read_your_writes_violations(results) == [pair]

    results.removals[pair].append((10.2, 10.7))  # sent during the window, answered after it
    assert read_your_writes_violations(results) == []
