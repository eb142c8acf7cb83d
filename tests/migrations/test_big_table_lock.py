"""0004/0005 on a busy 1,000,000-row rr_user block its traffic for a moment only (issue 3).

Target: the busy connection waits at most 50 ms longer than it does anyway. Each trial
migrates a fresh copy of the same filled database under traffic and reports the
longest wait during the migration beyond that trial's noise floor (the longest wait in
the second and a half before it: `LockMeasurement.baseline`). Noise only ever adds to a
wait, so the best of a few trials is compared with the target: a loaded machine's
spikes cannot fail it, while the lock discipline's two failure modes (0004's CHECKs
validated, a scan under ACCESS EXCLUSIVE) fails it in every trial, which the breakage
test below proves (its other one, the rr_user statements sent one by one, is too close
to the target to assert: see BREAKAGES). Figures are printed (run with -s).
"""

import pytest

from tests.support import pg
from tests.support.locks import fill_users, measure_migration_lock

USERS = 1_000_000
TARGET = 0.050  # seconds beyond the noise floor
TRIALS = 3
# tests/migrations/lock_breakages.py. Its `batching_off` is not asserted here: it blocks
# 56 ms on a quiet machine against the 50 ms target, too close for any noise floor to tell
# apart reliably on a shared or loaded machine (it slipped under the target at load 12).
BREAKAGES = ["checks_validated"]


@pytest.fixture(scope="module")
def filled():
    """A database at 0003 with USERS users; each trial migrates a copy of it."""
    with pg.scratch_database("big") as name:
        pg.manage(name, "migrate", "rr", "0003", "--noinput")
        fill_users(name, USERS)
        yield name


def excess(measurement):
    """How much longer than the noise floor the busy connection waited during the migration."""
    return measurement.longest_block - measurement.baseline


def trials(template, count, patch=None, target="rr"):
    """Migrate `count` fresh copies of `template` (to `target`: `rr` is the latest) under
    traffic; (measurement, facts) of each."""
    results = []
    for _ in range(count):
        with pg.scratch_database("big_trial", template=template) as name:
            with pg.connect(name) as conn:
                storage_before = conn.execute("SELECT pg_relation_filenode('rr_user')").fetchone()
            migrate = ["migrate", *target.split(), "--noinput"]
            measurement = measure_migration_lock(name, *migrate, warmup=1.5, patch=patch)
            with pg.connect(name) as conn:
                facts = {
                    "rewritten": conn.execute("SELECT pg_relation_filenode('rr_user')").fetchone() != storage_before,
                    "traffic_users": conn.execute(
                        "SELECT count(*), count(*) FILTER (WHERE allow_networking AND followers_count = 0"
                        " AND following_count = 0) FROM rr_user WHERE username LIKE 'traffic\\_%'"
                    ).fetchone(),
                    "validated": conn.execute(
                        "SELECT bool_and(convalidated) FROM pg_constraint"
                        " WHERE conrelid = 'rr_user'::regclass AND contype = 'c'"
                    ).fetchone()[0],
                }
        print(f"\n{USERS:,} users{f' ({patch})' if patch else ''}: {measurement.summary()}")
        results.append((measurement, facts))
    return results


def best_excess(results):
    """The smallest excess over the trials that can measure: a trial whose noise floor is
    already at the target (a checkpoint, another process) cannot tell a block from noise."""
    conclusive = [excess(measurement) for measurement, _ in results if measurement.baseline < TARGET]
    assert conclusive, ["no trial had a noise floor under the target", *(m.summary() for m, _ in results)]
    return min(conclusive)


@pytest.mark.slow
def test_networking_migration_barely_blocks_a_busy_million_row_rr_user(filled):
    results = trials(filled, TRIALS)

    for measurement, facts in results:
        assert "Applying rr.0004_networking... OK" in measurement.migration_output
        assert "Applying rr.0005_validate_user_count_constraints... OK" in measurement.migration_output
        assert len(measurement.during) >= 20, "the traffic barely ran during the migration: nothing was measured"
        assert not facts["rewritten"], "rr_user was rewritten"
        assert facts["traffic_users"][0] > 0 and facts["traffic_users"][0] == facts["traffic_users"][1]
        assert facts["validated"] is True
    assert best_excess(results) < TARGET, [measurement.summary() for measurement, _ in results]


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_the_target_catches_a_broken_lock_discipline(filled, breakage):
    # Both breakages are in 0004: only it runs, so that 0005's and 0006's scans (which
    # block nothing) add no spikes of their own to the window searched for the block.
    results = trials(filled, TRIALS, patch=f"tests.migrations.lock_breakages:{breakage}", target="rr 0004")

    assert all("Applying rr.0004_networking... OK" in m.migration_output for m, _ in results)
    assert best_excess(results) >= TARGET, [measurement.summary() for measurement, _ in results]
