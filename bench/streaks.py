"""`python -m bench.streaks [--days 30,120,365] [--rounds 6] [--before REV]`: the list of 1,000
followed users whose users have `days` days of history each, this code against REV's.

The list's streak fields read every checklist of the page's users in the last year
(rr/social/days.py), so their cost grows with the users' history, which benchmark 1
(30 days a user) does not show. The "before" side is REV's streak statement and
strength function (rr/social/days.py at REV, loaded beside this code), without the
covering index of migration 0012 (dropped) and with JIT on (SET jit, as before 0011);
the "after" side is this checkout. The sides alternate round by round in one process,
on one database, through Django's test client (bench.inproc.network_list: every page,
median of 8). Friends have daily_goal 0.5, so about half their days are kept.

Needs BENCH_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/rr_bench);
builds and drops the scratch database <name>_streaks.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import types

from bench import env

INDEX = "rr_checklist_user_days_idx"
INDEX_SQL = (
    f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "rr_checklist" ("user_id", "created_at", "id")'
    ' INCLUDE ("local_date", "utc_offset_minutes", "score")'
)


def log(message):
    print(f"[streaks {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _module_at(rev, path):
    """The module at `path` as revision `rev` had it, loaded beside this checkout's."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=env.REPO, capture_output=True, text=True, check=True)
    module = types.ModuleType(f"before_{rev}")
    exec(compile(source.stdout, f"{rev}:{path}", "exec"), module.__dict__)
    return module


def run(day_counts, rounds, rev):
    from django.db import connection

    from bench import data
    from bench.inproc import network_list
    from rr.social import days

    before = _module_at(rev, "rr/social/days.py")
    after = {"_KEPT_SQL": days._KEPT_SQL, "strength": days.strength}
    viewers = {}
    with connection.cursor() as cursor:
        for count in day_counts:
            friends = data.users_insert(cursor, f"friend{count}_", 1000)
            data.checklists_insert(cursor, friends, count)
            cursor.execute("UPDATE rr_user SET daily_goal = 0.5 WHERE id = ANY(%s)", [friends])
            (viewers[count],) = data.users_insert(cursor, f"viewer{count}_", 1)
            data.follows_insert(cursor, viewers[count], friends)
        cursor.execute("VACUUM ANALYZE rr_checklist")

    def side(name):
        with connection.cursor() as cursor:
            if name == "before":
                cursor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
                cursor.execute("SET jit = on")
                days._KEPT_SQL, days.strength = before._KEPT_SQL, before.strength
            else:
                cursor.execute(INDEX_SQL)
                cursor.execute("SET jit = off")
                days._KEPT_SQL, days.strength = after["_KEPT_SQL"], after["strength"]
            cursor.execute("VACUUM ANALYZE rr_checklist")

    results = {count: {"before": [], "after": []} for count in day_counts}
    for round_ in range(rounds):
        for name in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
            side(name)
            for count in day_counts:
                figure = network_list({1000: viewers[count]}, repeats=8)[1000]["median_ms"]
                results[count][name].append(figure)
                log(f"round {round_ + 1} {name} {count} days: {figure:.1f} ms")
    side("after")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="30,120,365")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--before", default="77eb0f5", help="the revision of the before side (default: before 0011/0012)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN afterwards)")
    args = parser.parse_args(argv)
    day_counts = [int(value) for value in args.days.split(",")]

    os.environ.update(dict(env.app_settings_env(env.bench_database_url()).items()))
    from tests.support import pg

    name = pg.scratch_name("streaks")
    pg.drop_database(name)
    pg.create_database(name)
    try:
        pg.manage(name, "migrate", "--noinput")
        os.environ["DATABASE_URL"] = pg.database_url(name)
        import logging

        import django

        django.setup()
        # Request log lines are written as in production, but to a file, not the terminal.
        log_file = open(env.RESULTS / "streaks.log", "w")
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(log_file)
        load = os.getloadavg()[0]
        started = time.time()
        results = run(day_counts, args.rounds, args.before)
        load = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
        print(f"list of 1,000 (every page), in process, {args.rounds} rounds, before = {args.before}")
        print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, load average {load}")
        print(
            "| days a user | before: min / median / max ms | after: min / median / max ms | after : before (median) |"
        )
        print("|---|---|---|---|")
        for count, sides in results.items():
            cells = [f"{min(v):.1f} / {statistics.median(v):.1f} / {max(v):.1f}" for v in sides.values()]
            ratio = statistics.median(sides["after"]) / statistics.median(sides["before"])
            print(f"| {count} | {cells[0]} | {cells[1]} | {ratio:.2f}x |")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            pg.drop_database(name)


if __name__ == "__main__":
    main()
