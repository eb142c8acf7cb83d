"""The per-request connection health check (rr/common/postgresql/base.py): no round trip
while the connection is quiet, a fresh connection when the server ended it.

In process, on Django's own connection: `close_old_connections()` is what Django runs
at the start and end of every request (the test client skips it, so it is called
here), and the next query is the request's first.
"""

import psycopg
import pytest
from django.db import close_old_connections, connection

from tests.hardening.conftest import live_database_url
from tests.support.clients import client_for
from tests.support.locks import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement(pid):
    """What the backend `pid` ran last, seen from another connection."""
    with psycopg.connect(live_database_url(), autocommit=True) as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row and row[0]


def _terminate(pid):
    with psycopg.connect(live_database_url(), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        wait_for(
            lambda: not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone(),
            "the backend to end",
        )


def test_the_settings_enable_the_check_on_the_quiet_backend():
    assert connection.settings_dict["ENGINE"] == "rr.common.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0


def test_a_quiet_connection_is_reused_without_a_select_1():
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the previous request'")
    close_old_connections()  # a new request starts: the check is due again

    connection.close_if_health_check_failed()  # what the request's first cursor runs

    assert connection.health_check_done
    # The backend's last statement is still the previous request's: no SELECT 1 was sent.
    assert _last_statement(pid) == "SELECT 'the previous request'"
    assert _backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(make_user):
    user = make_user(password=None)
    client = client_for(user)
    assert client.get("/api/network/settings/").status_code == 200
    pid = _backend_pid()
    _terminate(pid)
    close_old_connections()

    response = client.get("/api/network/settings/")

    assert response.status_code == 200, response.content[:300]
    assert _backend_pid() != pid


def test_django_s_own_check_still_runs_when_the_socket_has_something_to_read():
    # The server's FATAL message makes the socket readable: the full check (SELECT 1)
    # runs, fails, and the connection is closed, not handed to the request.
    pid = _backend_pid()
    _terminate(pid)
    close_old_connections()

    connection.close_if_health_check_failed()

    assert connection.connection is None
    assert _backend_pid() != pid
    assert _last_statement(pid) is None
