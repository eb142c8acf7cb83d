"""A safe read whose database connection dies mid-request is run once more (SafeReadRetryMiddleware).

Against a live gunicorn, with a real connection killed: the read is stopped at a table
another connection holds ACCESS EXCLUSIVE, its backend is ended with pg_terminate_backend,
and the lock released. The GET answers 200 from a second, fresh connection; a write
stopped and killed the same way still answers 503 (tests/hardening/test_db_faults.py).
"""

import threading
from datetime import UTC, datetime

import httpx
import psycopg

from rr.accounts import services as account_services
from rr.checklists import services as checklist_services
from tests.hardening.conftest import live_database_url, worker_pids
from tests.support.locks import backend_waiting_on, wait_for
from tests.support.threads import join_all


def _stopped_and_killed(method, url, headers, body=None):
    """Send the request; once its backend waits on rr_checklist, end that backend and let go.
    Returns (response, the killed backend's pid)."""
    responses = []
    with psycopg.connect(live_database_url()) as locker:
        locker.execute("LOCK TABLE rr_checklist IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(
            target=lambda: responses.append(httpx.request(method, url, headers=headers, json=body, timeout=30))
        )
        request.start()
        pid = wait_for(
            lambda: backend_waiting_on(locker, "rr_checklist") or (responses and responses[0].text),
            "the request to block",
        )
        assert not responses, responses[0].text[:300]
        assert locker.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        locker.rollback()
    join_all([request], 30)
    return responses[0], pid


def _backends(pid):
    with psycopg.connect(live_database_url(), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_a_get_that_lost_its_connection_is_answered_from_a_fresh_one(live_server_factory, make_user):
    me = make_user(password=None)
    checklist, _ = checklist_services.checklist_for_day(user=me, local_datetime=datetime.now(UTC))
    checklist_services.regret_add(user=me, checklist_id=checklist.pk, description="call mum")
    server = live_server_factory()
    workers = worker_pids(server)
    headers = {"Authorization": f"Bearer {account_services.tokens_for(me)['access']}"}

    response, killed = _stopped_and_killed("GET", f"{server.url}/api/checklists/", headers)

    assert response.status_code == 200, response.text[:500]
    assert [r["description"] for r in response.json()[0]["regrets"]] == ["call mum"]
    assert _backends(killed) == 0
    assert worker_pids(server) == workers


def test_a_write_that_lost_its_connection_is_not_run_again(live_server_factory, make_user):
    me = make_user(password=None)
    checklist, _ = checklist_services.checklist_for_day(user=me, local_datetime=datetime.now(UTC))
    server = live_server_factory()
    headers = {"Authorization": f"Bearer {account_services.tokens_for(me)['access']}"}

    response, _ = _stopped_and_killed(
        "POST", f"{server.url}/api/checklists/{checklist.pk}/regrets/", headers, {"description": "once"}
    )

    assert response.status_code == 503, response.text[:500]
