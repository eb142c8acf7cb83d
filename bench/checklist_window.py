"""`python -m bench.checklist_window [--days 1000] [--rounds 10]`: GET /api/checklists/ of a user
with `days` days of history (three regrets a day), whole and windowed, in process.

A scratch database `<DATABASE_URL's database>_ckwindow` (migrated, dropped at the end);
the user's days are built by bench.data (set-based SQL). Through Django's test client
(the whole stack, bench.inproc), the three forms alternate round by round: no parameter
(the whole history: what the shipped client asks), `?limit=30` and `?since=<29 days
ago>`. Prints JSON: median ms, queries and response bytes of each, the load average.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.env import PYTHON, REPO, app_settings_env
from tests.support import pg


def measure(days, rounds):
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import data
    from bench.inproc import CHECKLIST_URL, client_for

    with connection.cursor() as cursor:
        (user_id,) = data.users_insert(cursor, "ckwindow", 1)
        data.checklists_insert(cursor, [user_id], days, regrets_each=3)
    client = client_for(user_id)
    since = (timezone.now() - timedelta(days=29)).date().isoformat()
    forms = {"whole": {}, "limit 30": {"limit": "30"}, f"since {since}": {"since": since}}
    times = {name: [] for name in forms}
    sizes, queries = {}, {}
    for name, params in forms.items():  # warm-up, sizes and query counts
        with CaptureQueriesContext(connection) as captured:
            response = client.get(CHECKLIST_URL, params)
        assert response.status_code == 200, response.content[:300]
        sizes[name], queries[name] = len(response.content), len(captured.captured_queries)
    for _ in range(rounds):
        for name, params in forms.items():
            started = time.perf_counter()
            client.get(CHECKLIST_URL, params)
            times[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {
            "median_ms": round(statistics.median(values), 1),
            "min_ms": round(min(values), 1),
            "bytes": sizes[name],
            "queries": queries[name],
        }
        for name, values in times.items()
    } | {"days": days, "loadavg": os.getloadavg()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        print(json.dumps(measure(args.days, args.rounds), indent=2))
        return
    with pg.scratch_database("ckwindow") as name:
        env = {**os.environ, **app_settings_env(pg.database_url(name))}
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True, capture_output=True
        )
        done = subprocess.run(
            [PYTHON, "-m", "bench.checklist_window", "--inner", "--days", str(args.days), "--rounds", str(args.rounds)],
            cwd=REPO,
            env=env,
        )
        sys.exit(done.returncode)


if __name__ == "__main__":
    main()
