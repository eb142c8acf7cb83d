"""tools/test_services.py: `make test` uses the services it is given or finds, and on a
fresh machine starts a PostgreSQL and a Redis of its own for the run, and stops them."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from tools import test_services
from tools.test_services import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, choose

REPO = Path(__file__).resolve().parents[2]


def _nothing_checked(address):
    raise AssertionError(f"a set variable is used without looking at {address}")


def test_a_set_variable_is_used_as_it_is_without_looking_at_the_defaults():
    env = {"DATABASE_URL": "postgres://ci@db:5432/rr_ci", "REDIS_URL": "redis://cache:6379/3"}

    assert choose(env, reachable=_nothing_checked) == env


def test_unset_variables_take_the_defaults_when_something_answers_there():
    asked = []

    def reachable(address):
        asked.append(address)
        return True

    assert choose({}, reachable=reachable) == {"DATABASE_URL": DEFAULT_DATABASE_URL, "REDIS_URL": DEFAULT_REDIS_URL}
    assert asked == [("127.0.0.1", 5432), ("127.0.0.1", 6379)]


def test_with_nothing_at_the_defaults_each_missing_service_is_started():
    assert choose({}, reachable=lambda address: False) == {"DATABASE_URL": None, "REDIS_URL": None}
    # Only the one that is missing: an empty variable counts as unset.
    only_redis = {"DATABASE_URL": "postgres://ci@db/rr", "REDIS_URL": ""}
    assert choose(only_redis, reachable=lambda address: address[1] == 5432) == {
        "DATABASE_URL": "postgres://ci@db/rr",
        "REDIS_URL": None,
    }
    assert choose(only_redis, reachable=lambda address: True, force_embedded=True) == {
        "DATABASE_URL": None,
        "REDIS_URL": None,
    }


def test_listening_tells_an_open_port_from_a_closed_one():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert test_services.listening(("127.0.0.1", port))
    assert not test_services.listening(("127.0.0.1", port))


def _port(url):
    return urlsplit(url).port


@pytest.mark.slow
def test_the_started_services_serve_what_the_tests_need_and_stop_after(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "RR_TEST_SERVICES": "embedded"}

    with test_services.services(env) as run_env:
        database_url, redis_url = run_env["DATABASE_URL"], run_env["REDIS_URL"]
        assert urlsplit(database_url).hostname == "127.0.0.1" and _port(database_url) != 5432
        assert urlsplit(redis_url).hostname == "127.0.0.1" and _port(redis_url) != 6379
        # TCP, the superuser postgres, the database rr; the tests derive databases of their own.
        with psycopg.connect(database_url, autocommit=True) as conn:
            assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (True,)
            collation = "SELECT datcollate FROM pg_database WHERE datname = current_database()"
            assert conn.execute(collation).fetchone() == ("C.UTF-8",)
            conn.execute("CREATE DATABASE rr_derived")
        # The clients on PATH are the server's own (tests/support/pg.py runs psql and pg_dump).
        dump = subprocess.run(
            ["pg_dump", "--schema-only", "-d", database_url.replace("/rr", "/rr_derived")],
            env=run_env,
            capture_output=True,
            text=True,
        )
        assert dump.returncode == 0, dump.stderr
        assert os.path.exists(os.path.join(run_env["PG_BIN"], "initdb"))  # bin/cluster's
        assert redis.Redis.from_url(redis_url).ping()

    assert not test_services.listening(("127.0.0.1", _port(database_url)))
    assert not test_services.listening(("127.0.0.1", _port(redis_url)))


def test_the_command_runs_with_the_chosen_urls_and_its_status_is_returned():
    env = {**os.environ, "DATABASE_URL": "postgres://given@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1/9"}
    env.pop("RR_TEST_SERVICES", None)
    command = [sys.executable, "-m", "tools.test_services", "sh", "-c", 'echo "$DATABASE_URL $REDIS_URL"; exit 3']

    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)

    assert result.returncode == 3
    assert result.stdout.strip() == "postgres://given@127.0.0.1:1/x redis://127.0.0.1:1/9"
