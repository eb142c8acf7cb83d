"""How long does each later migration block a busy rr_user of a million rows? Prints the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rr_x python -m tools.migration_locks \\
        --users 1000000 --base 0008 --trials 3 0009 0010

Not a test (minutes, and a figure rather than a pass/fail): the measurement behind the
migration lock figures of docs/OPERATIONS.md (step 2) and docs/BENCHMARKS.md, by the method
of tests/migrations/test_big_table_lock.py (tests/support/locks.py).
A scratch database `<DATABASE_URL's database>_miglock` gets `--users` legacy-style users
at `rr 0003` and is migrated, untimed, to `rr <base>`. Each trial migrates a fresh copy
one migration at a time (a `manage.py migrate` subprocess) while another connection
reads, updates and signs up users, one timed statement per transaction. A migration's
block is the longest of those statements while it ran; the baseline, the longest in the
1.5 s before (the machine's noise floor). Reported: every trial's longest block, and the
best excess over its own baseline among trials whose baseline is under the 50 ms target.
"""

import argparse
import json
import os
import sys

from tests.support import locks, pg

TARGET_MS = 50


def measure(template, steps, log):
    """One trial: a copy of `template` migrated step by step under traffic; {step: figures}."""
    figures = {}
    with pg.scratch_database("miglock_trial", template=template) as name:
        for step in steps:
            with pg.connect(name) as conn:  # the traffic signs up traffic_1, traffic_2, ... on every run
                conn.execute(r"DELETE FROM rr_user WHERE username LIKE 'traffic\_%'")
            measurement = locks.measure_migration_lock(name, "migrate", "rr", step, "--noinput", warmup=1.5)
            figures[step] = {
                "longest_block_ms": round(measurement.longest_block * 1000, 1),
                "baseline_ms": round(measurement.baseline * 1000, 1),
                "excess_ms": round((measurement.longest_block - measurement.baseline) * 1000, 1),
                "migration_seconds": round(measurement.migration_seconds, 2),
                "statements_during": len(measurement.during),
                "applied": f"Applying rr.{step}" in measurement.migration_output,
            }
            log(f"    rr {step}: {measurement.summary()}")
    return figures


def _best_excess(trials, step):
    """The smallest excess of the trials that can measure one: a baseline already at the
    50 ms target (a checkpoint, another process) cannot tell a block from noise."""
    conclusive = [t[step]["excess_ms"] for t in trials if t[step]["baseline_ms"] < TARGET_MS]
    return min(conclusive, default=None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="+", help="migrations to measure, in order (e.g. 0009 0010)")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--base", default="0008", help="the migration the filled database is at")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--json", help="also write the figures here")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    def log(text):
        print(text, flush=True)

    trials = []
    with pg.scratch_database("miglock") as template:
        log(f"{template}: rr 0003, {options.users:,} users, then rr {options.base} (untimed)")
        pg.manage(template, "migrate", "rr", "0003", "--noinput")
        locks.fill_users(template, options.users)
        pg.manage(template, "migrate", "rr", options.base, "--noinput")
        with pg.connect(template) as conn:
            conn.execute("VACUUM (ANALYZE) rr_user")
        for trial in range(1, options.trials + 1):
            log(f"  trial {trial}")
            trials.append(measure(template, options.steps, log))
    load = os.getloadavg()
    summary = {
        "users": options.users,
        "base": options.base,
        "load_average": [round(value, 2) for value in load],
        "trials": trials,
        "best_excess_ms": {step: _best_excess(trials, step) for step in options.steps},
        "longest_block_ms": {step: max(trial[step]["longest_block_ms"] for trial in trials) for step in options.steps},
    }
    for step in options.steps:
        blocks = ", ".join(f"{t[step]['longest_block_ms']} (baseline {t[step]['baseline_ms']})" for t in trials)
        log(
            f"rr {step}: longest block ms per trial: {blocks}; longest of all {summary['longest_block_ms'][step]} ms;"
            f" best excess over its baseline {summary['best_excess_ms'][step]} ms"
        )
    log(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if options.json:
        with open(options.json, "w") as out:
            json.dump(summary, out, indent=2)
    return 0 if all(t[step]["applied"] for t in trials for step in options.steps) else 1


if __name__ == "__main__":
    sys.exit(main())
