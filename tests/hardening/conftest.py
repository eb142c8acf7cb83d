"""Live servers for the hardening tests: gunicorn on loopback against the test database."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.load.server import Gunicorn, app_env, database_url


def live_database_url(port=None):
    """The URL of the database pytest-django created (test_<name>), for other processes.

    With `port`, the same database reached through another port on loopback (a proxy).
    """
    db = connection.settings_dict
    host = "127.0.0.1" if port else db["HOST"]
    return database_url(db["NAME"], base=f"postgres://{db['USER']}@{host}:{port or db['PORT']}/postgres")


def worker_pids(server):
    """The pids of the gunicorn workers (children of the master started by the test)."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


@pytest.fixture
def live_server_factory(transactional_db, tmp_path):
    """Start gunicorn (one worker unless told) with production settings; stopped at the end.

    Tokens made in the test process work there: the server gets the same SECRET_KEY.
    """
    servers = []

    def start(*, database=None, workers=1, **env):
        server = Gunicorn(
            app_env(database or live_database_url(), SECRET_KEY=settings.SECRET_KEY, **env),
            workers=workers,
            log_path=tmp_path / f"gunicorn{len(servers)}.log",
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
