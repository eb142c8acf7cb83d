"""A restart of the primary behind PgBouncer under a small load: a second of errors, no write lost.

PgBouncer (bin/cluster) runs with server_login_retry = 1: after one failed login while
the primary restarts it tries again a second later, where its default (15 s) kept every
client waiting or refused for 15 s. Reads that lose their connection mid-request are run
again on a fresh one (rr/common/middleware.py SafeReadRetryMiddleware). Four clients
(two writers adding regrets, two readers) run for a few seconds around a fast restart
(pg_ctl restart -m fast); every request is timed. The failed ones must fall within about
a second, and every regret the API acknowledged (201) must be in the database afterwards.
"""

import threading
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.cluster import start_servers, stop_all

CLIENTS = 4
BEFORE, AFTER = 2.0, 4.0  # seconds of load before the restart and after it ends
FAILURE_SPAN = 1.5  # "about a second": the failed requests' first to last, plus one request's time


def _account(url, name):
    made = httpx.post(f"{url}/auth/user/", json={"username": name, "password": f"{name} passphrase 42"}, timeout=30)
    assert made.status_code == 201, made.text[:300]
    headers = {"Authorization": f"Bearer {made.json()['tokens']['access']}"}
    day = httpx.post(
        f"{url}/api/checklists/", json={"local_datetime": datetime.now(UTC).isoformat()}, headers=headers, timeout=30
    )
    assert day.status_code == 201, day.text[:300]
    return headers, day.json()["id"]


def test_a_primary_restart_costs_about_a_second_of_errors_and_no_acknowledged_write(
    cluster, cluster_db, endpoint_run, tmp_path
):
    # `endpoint_run`: the restart waits for the endpoint tests' background run through the
    # pooler to end (it would end their connections too), so it runs among the folder's last
    # tests (conftest.py), after the pooler's session audit.
    (server,) = start_servers(cluster, "rr", instances=1, workers=4, replica=False, log_dir=tmp_path)
    try:
        tag = uuid.uuid4().hex[:8]
        accounts = [_account(server.url, f"restart_{tag}_{n}") for n in range(CLIENTS)]
        stop = threading.Event()
        outcomes = []  # (started, ended, ok, what)
        acknowledged = []  # regret ids answered 201

        def client(number):
            headers, checklist_id = accounts[number]
            writer = number % 2 == 0
            with httpx.Client(timeout=10) as http:
                count = 0
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        if writer:
                            response = http.post(
                                f"{server.url}/api/checklists/{checklist_id}/regrets/",
                                json={"description": f"regret {number}.{count}"},
                                headers=headers,
                            )
                            if response.status_code == 201:
                                acknowledged.append(response.json()["id"])
                        else:
                            response = http.get(f"{server.url}/api/checklists/{checklist_id}/", headers=headers)
                        ok, what = response.status_code < 500, response.status_code
                    except httpx.HTTPError as exc:
                        ok, what = False, type(exc).__name__
                    outcomes.append((started, time.monotonic(), ok, what))
                    count += 1
                    time.sleep(0.01)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE)
        restart_started = time.monotonic()
        restart_seconds = cluster.primary_restart()
        time.sleep(AFTER)
        stop.set()
        for thread in threads:
            thread.join(30)
            assert not thread.is_alive()
    finally:
        stop_all([server])

    failed = [(started, ended, what) for started, ended, ok, what in outcomes if not ok]
    span = (max(ended for _, ended, _ in failed) - min(started for started, _, _ in failed)) if failed else 0.0
    print(
        f"\nprimary restart {restart_seconds:.2f} s; {len(outcomes)} requests, {len(failed)} failed "
        f"({sorted({str(what) for *_, what in failed})}) within {span:.2f} s; "
        f"first failure {min((s for s, _, _ in failed), default=restart_started) - restart_started:+.2f} s"
    )
    assert len(outcomes) > 100, "the load barely ran"
    assert span <= FAILURE_SPAN + restart_seconds, (span, restart_seconds, failed[:20])
    # Every acknowledged write survived the restart.
    with cluster.connect("primary") as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM rr_regret WHERE id = ANY(%s)", [acknowledged])}
    assert acknowledged and stored == set(acknowledged)
    # After the restart, everything answers again.
    assert all(ok for started, _, ok, _ in outcomes if started > restart_started + restart_seconds + 1.5)
