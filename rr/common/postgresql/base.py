"""Django's PostgreSQL backend with a health check that costs no round trip while the connection is quiet.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every
request that reuses a connection: one more round trip on every request, a tenth of
the cheapest authenticated one's time. A connection the server ended (a restart, a
failover, pg_terminate_backend) is not silent: the server sends a FATAL message and
closes the socket, so the socket turns readable. Between two requests nothing else
arrives on an idle connection (this project LISTENs to nothing), so a socket with
nothing to read is healthy and is used as it is; a readable one gets Django's own
`SELECT 1` check, which closes it if it fails, and the request connects afresh.
A connection killed in the instant between this check and the request's query
fails that request with a 503 and Retry-After (rr/common/errors.py), never a 500.
Tests: tests/hardening/test_connection_check.py, tests/hardening/test_db_faults.py.
"""

import select

import psycopg
from django.db.backends.postgresql import base

ENGINE = "rr.common.postgresql"


class DatabaseWrapper(base.DatabaseWrapper):
    # Django's BaseDatabaseWrapper sets these in __init__ (CONN_HEALTH_CHECKS); the stubs lack them.
    health_check_enabled: bool
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _quiet(connection: psycopg.Connection) -> bool:
    """Whether the idle connection's socket has nothing to read (no FATAL, no close from the server)."""
    try:
        fd = connection.fileno()
    except psycopg.Error:
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)
