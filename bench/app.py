"""The in-process phase, run by `python -m bench` in a subprocess with DATABASE_URL = rr_bench_app.

A process of its own: Django is set up here against the freshly migrated bench
database, while the orchestrator stays free of Django (it drives gunicorn,
manage.py and psql against other databases).
"""

import json
import logging
import sys
from datetime import datetime
from pathlib import Path

import django

from bench.env import RESULTS


def main(argv=None):
    """`python -m bench.app CONFIG_JSON OUT_JSON`: build the app fixture, run benchmarks 1 and 2.

    Run by `python -m bench` in a subprocess whose DATABASE_URL is the freshly migrated
    rr_bench_app database. Writes the figures and the tokens the HTTP benchmark needs.
    """
    config_path, out_path = (argv or sys.argv[1:])[:2]
    config = json.loads(Path(config_path).read_text())
    django.setup()
    from django.db import connection

    from bench import data
    from bench.inproc import (
        CHECKLIST_URL,
        PLUS_8,
        checklist_of_the_day,
        client_for,
        follow_costs,
        follow_queries,
        list_fetch_all,
        network_list,
        profile,
        token_for,
    )
    from rr.accounts.models import User

    # Request log lines are written as in production, but to a file, not the terminal.
    log_file = open(RESULTS / "inproc.log", "w")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)

    with connection.cursor() as cursor:
        ids = data.app_fixture(
            cursor,
            list_sizes=config["list_sizes"],
            checklists_per_friend=config["checklists_per_friend"],
            history_sizes=config["history_sizes"],
            load_clients=config["load_clients"],
            targets_per_client=config["targets_per_client"],
        )
        # What autovacuum soon does to freshly inserted tables (PostgreSQL 13+ vacuums
        # insert-only tables too): the visibility map set, so that index-only scans (the
        # streaks' rr_checklist_user_days_idx) read no heap, as they do in production.
        # app_fixture has analyzed them (it also runs inside the smoke test's transaction,
        # where VACUUM cannot).
        for table in ("rr_user", "rr_network", "rr_checklist", "rr_regret"):
            cursor.execute(f"VACUUM {table}")
    viewers = {int(size): user_id for size, user_id in ids["viewers"].items()}
    history = {int(size): user_id for size, user_id in ids["history"].items()}
    usernames = dict(
        User.objects.filter(pk__in=[*ids["clients"], ids["hot"], *sum(ids["targets"].values(), [])]).values_list(
            "pk", "username"
        )
    )
    first_target = usernames[ids["targets"][ids["clients"][0]][0]]
    result = {
        "list": network_list(viewers, repeats=config["list_repeats"]),
        "checklist": checklist_of_the_day(history, repeats=config["checklist_repeats"]),
        "queries": follow_queries(ids["clients"][0], first_target),
        "follow_ms": follow_costs(
            ids["clients"][0],
            [usernames[t] for t in ids["targets"][ids["clients"][0]]],
            repeats=config["follow_repeats"],
        ),
        "http": {
            "client_tokens": [token_for(client) for client in ids["clients"]],
            "client_targets": [[usernames[t] for t in ids["targets"][client]] for client in ids["clients"]],
            "hot_username": usernames[ids["hot"]],
            "viewer_tokens": {size: token_for(user_id) for size, user_id in viewers.items()},
        },
    }
    if config.get("profile"):
        biggest = max(viewers)
        list_client = client_for(viewers[biggest])
        client = client_for(ids["clients"][0])
        history_client = client_for(history[max(history)])
        today = {"local_datetime": datetime.now(PLUS_8).isoformat()}

        def follow_pair():
            client.post(f"/api/network/follow/{first_target}/")
            client.delete(f"/api/network/unfollow/{first_target}/")

        result["profiles"] = {
            name: str(path)
            for name, path in profile(
                {
                    f"list_{biggest}": lambda: list_fetch_all(list_client),
                    "follow_unfollow": follow_pair,
                    "checklist_found": lambda: history_client.post(CHECKLIST_URL, today, format="json"),
                    "settings": lambda: client.get("/api/network/settings/"),
                },
                seconds=config["profile_seconds"],
                out_dir=RESULTS,
            ).items()
        }
    Path(out_path).write_text(json.dumps(result, indent=2))
    log_file.close()


if __name__ == "__main__":
    main()
