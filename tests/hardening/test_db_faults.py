"""Database faults against a live gunicorn: killed connections, an unreachable server.

A killed connection is pg_terminate_backend from another connection; an unreachable
database is a loopback TCP proxy in front of the real one that the test switches
down (connection refused) or silent (accepted, never answered) and back up.
"""

import threading
import time
from urllib.parse import quote

import httpx
import psycopg
import pytest

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.network.models import Network
from tests.hardening.conftest import live_database_url, worker_pids
from tests.hardening.proxy import TcpProxy
from tests.support.counts import assert_counts_exact
from tests.support.locks import backend_waiting_on, wait_for
from tests.support.threads import join_all

# "Quickly": the connect timeout is 2 s below; anything near a worker timeout (30 s) is a hang.
QUICKLY = 10


def _bearer(user):
    return {"Authorization": f"Bearer {account_services.tokens_for(user)['access']}"}


def _assert_503_json(response):
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]
    assert "Traceback" not in response.text and "psycopg" not in response.text
    return body


def test_a_request_killed_mid_transaction_writes_nothing_answers_503_and_the_next_succeeds(
    live_server_factory, make_user
):
    me, target = make_user(password=None), make_user(password=None)
    server = live_server_factory()
    follow_url = f"{server.url}/api/network/follow/{quote(target.username)}/"
    workers = worker_pids(server)
    headers = _bearer(me)
    responses = []

    # The follow inserts its rr_network row (the trigger moves both counts), then reads
    # the target back for its answer. An ACCESS EXCLUSIVE lock held on rr_checklist
    # stops it at that read: inside its transaction, after its writes.
    with psycopg.connect(live_database_url()) as locker:
        locker.execute("LOCK TABLE rr_checklist IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(target=lambda: responses.append(httpx.post(follow_url, headers=headers, timeout=30)))
        request.start()
        pid = wait_for(lambda: backend_waiting_on(locker, "rr_checklist"), "the follow to block")
        wrote = locker.execute(
            """
            SELECT count(*) FROM pg_locks
            WHERE pid = %s AND granted AND mode = 'RowExclusiveLock'
              AND relation IN ('rr_network'::regclass, 'rr_user'::regclass)
            """,
            [pid],
        ).fetchone()[0]
        assert wrote == 2, "the request had not written rr_network and rr_user yet"
        assert locker.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        locker.rollback()
    join_all([request], 30)

    _assert_503_json(responses[0])
    assert responses[0].headers["Retry-After"]
    assert not Network.objects.exists()
    assert User.objects.get(pk=me.pk).following_count == 0
    assert User.objects.get(pk=target.pk).followers_count == 0

    again = httpx.post(follow_url, headers=headers, timeout=30)

    assert again.status_code == 201, again.text[:500]
    assert worker_pids(server) == workers  # served by the same worker: no restart
    assert Network.objects.filter(follower=me, following=target).count() == 1
    assert_counts_exact()


def test_an_idle_connection_killed_between_requests_is_replaced(live_server_factory, make_user):
    me = make_user(password=None)
    server = live_server_factory()
    settings_url = f"{server.url}/api/network/settings/"
    assert httpx.get(settings_url, headers=_bearer(me), timeout=30).status_code == 200

    # The worker keeps its connection between requests (DB_CONN_MAX_AGE); end it, as a
    # database restart or failover would.
    with psycopg.connect(live_database_url(), autocommit=True) as admin:
        killed = admin.execute(
            """
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend'
              AND pid <> pg_backend_pid() AND pid <> %s
            """,
            [_django_backend_pid()],
        ).fetchone()[0]
    assert killed == 1

    assert httpx.get(settings_url, headers=_bearer(me), timeout=30).status_code == 200


def _django_backend_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def proxy():
    db = psycopg.conninfo.conninfo_to_dict(live_database_url())
    proxy = TcpProxy(db.get("host") or "127.0.0.1", int(db.get("port") or 5432)).up()
    yield proxy
    proxy.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.slow
def test_an_unreachable_database_is_a_quick_503_and_service_resumes_when_it_returns(
    live_server_factory, make_user, proxy, request
):
    me, target = make_user(password=None), make_user(password=None)
    server = live_server_factory(database=live_database_url(port=proxy.port), DB_CONNECT_TIMEOUT=2)
    workers = worker_pids(server)
    headers = _bearer(me)
    api = httpx.Client(base_url=server.url, headers=headers, timeout=30)
    request.addfinalizer(api.close)
    checklist = {"local_datetime": "2025-06-19T08:00:00+02:00"}
    assert api.get("/health/").status_code == 200
    assert api.get("/api/network/settings/").status_code == 200

    calls = [
        lambda: api.get("/api/network/settings/"),
        lambda: api.post("/api/checklists/", json=checklist),
        lambda: api.post(f"/api/network/follow/{target.username}/"),
        lambda: api.post("/auth/user/", json={"username": "newcomer"}, headers={"Authorization": ""}),
    ]
    # Refused connections fail at once; unanswered ones after the connect timeout
    # (libpq's minimum, 2 s), so the silent state is probed with fewer requests.
    for state, probes in ((proxy.down, calls), (proxy.silent, calls[:2])):
        state()
        for call in probes:
            response, took = _timed(call)
            _assert_503_json(response)
            assert took < QUICKLY, f"{state.__name__}: {took:.1f} s"
        health, took = _timed(lambda: api.get("/health/"))
        assert health.status_code == 503
        assert health.json()["checks"]["database"] == "unavailable"
        assert took < QUICKLY

    proxy.up()

    assert api.get("/health/").status_code == 200
    assert api.post("/api/checklists/", json=checklist).status_code == 201
    assert api.post(f"/api/network/follow/{target.username}/").status_code == 201
    assert worker_pids(server) == workers
    assert not User.objects.filter(username="newcomer").exists()
    assert me.checklists.count() == 1
    assert_counts_exact()
