"""`python -m bench.web`: the web app's page weights and the Today page's server time.

Page weight: the bytes a first visit downloads for each page, HTML + CSS + JS (the
stylesheet and scripts the page links), uncompressed and gzipped (whitenoise serves
the gzip to browsers that ask). The icon and axe-core (tests only) are not counted.

Server time: GET /today/ through Django's test client (the whole stack, no socket)
for a user with 30 past checklists and one with 1,000, each with 5 regrets a day,
measured alternately (30, 1000, 30, ...) so that noise falls on both alike. Median
and 90th percentile, and the SQL statements of one request.

Runs on its own database `<BENCH_DATABASE_URL's name>_web` (dropped at the end) with
production settings (bench.env.app_settings_env).
"""

import gzip
import os
import re
import statistics
import sys
import time

from bench import data, env

REPEATS = int(os.environ.get("WEB_BENCH_REPEATS", "200"))
HISTORIES = (30, 1000)


def main():
    env.use_bench_server()
    from tests.support import pg

    with pg.scratch_database("web") as name:
        pg.manage(name, "migrate", "--noinput", env=env.app_settings_env(pg.database_url(name)))
        os.environ.update(env.app_settings_env(pg.database_url(name)))
        import django

        django.setup()
        report(measure())


def measure():
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from rr.accounts import services as account_services
    from rr.accounts.models import User
    from rr.web import sessions as web_sessions

    with connection.cursor() as cursor:
        users = {}
        for days in HISTORIES:
            [user_id] = data.users_insert(cursor, f"web_bench_{days}_", 1)
            data.checklists_insert(cursor, [user_id], days + 1, regrets_each=5)  # today + `days` past days
            users[days] = User.objects.get(pk=user_id)

    storage = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    results = {"weights": {}, "today": {}}
    with override_settings(STORAGES={**settings.STORAGES, **storage}):
        clients = {}
        for days, user in users.items():
            clients[days] = Client()
            clients[days].force_login(user)
            session = clients[days].session  # a signed-in browser is also an accounts session
            session[web_sessions.SID_KEY] = web_sessions.session_id_of(account_services.session_start(user))
            session.save()

        pages = {"welcome": (Client(), "/")}
        for path in ("/today/", "/friends/", "/settings/"):
            pages[path.strip("/")] = (clients[30], path)
        for page, (client, path) in pages.items():
            response = client.get(path, HTTP_ACCEPT="text/html")
            assert response.status_code == 200, (page, response.status_code)
            html = response.content
            assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
            files = [html] + [open(finders.find(asset.decode()), "rb").read() for asset in assets]
            results["weights"][page] = {
                "html": len(html),
                "assets": [asset.decode() for asset in assets],
                "raw": sum(len(f) for f in files),
                "gzip": sum(len(gzip.compress(f, 9)) for f in files),
            }

        for days, client in clients.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/today/").status_code == 200
            results["today"][days] = {"queries": len(captured), "times": []}
        for _ in range(REPEATS):
            for days, client in clients.items():
                started = time.perf_counter()
                client.get("/today/")
                results["today"][days]["times"].append(time.perf_counter() - started)
    return results


def report(results):
    print("Page weights (first visit: HTML + linked CSS + JS)")
    print(f"{'page':<10} {'HTML':>8} {'total':>9} {'gzipped':>9}")
    for page, weight in results["weights"].items():
        print(f"{page:<10} {weight['html']:>8,} {weight['raw']:>9,} {weight['gzip']:>9,}")
    print()
    print(f"GET /today/, {REPEATS} requests each, alternating")
    base = None
    for days, figures in results["today"].items():
        times = sorted(figures["times"])
        median = statistics.median(times) * 1000
        p90 = times[int(len(times) * 0.9)] * 1000
        base = base or median
        print(
            f"{days:>5} past checklists: median {median:.2f} ms, p90 {p90:.2f} ms, "
            f"{figures['queries']} SQL statements, {median / base:.2f}x"
        )


if __name__ == "__main__":
    sys.exit(main())
