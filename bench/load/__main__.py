"""python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--json bench/results/load.json]

On DATABASE_URL's server (database `<name>_load`, dropped) and REDIS_URL; exits 1 unless no 5xx,
no lost request, no unexpected answer, and the database matches every acknowledged write."""

import argparse
import sys

from bench.load.run import Options, run, write_json


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.users < 1 or not 0 < args.seconds <= 3600:
        parser.error("--users must be >= 1 and --seconds within (0, 3600]")
    report = run(Options(users=args.users, seconds=args.seconds, workers=args.workers, seed=args.seed))
    print(report.summary())
    if args.json:
        write_json(report, args.json)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
