"""The database settings past one server (config/databases.py): explicit, never guessed."""

import dj_database_url
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.databases import configure_databases
from rr.common.routers import ReplicaRouter

PRIMARY = "postgres://postgres@127.0.0.1:5432/rr"
POOLER = "postgres://postgres@127.0.0.1:6432/rr"
REPLICA = "postgres://postgres@127.0.0.1:5433/rr"


def build(url=POOLER, **environ):
    databases = {"default": dj_database_url.parse(url, conn_max_age=60)}
    return configure_databases(databases, environ, lambda u: dj_database_url.parse(u, conn_max_age=60))


def test_one_plain_server_gets_no_extra_alias_and_keeps_django_defaults():
    databases = build(PRIMARY)

    assert set(databases) == {"default"}
    assert not databases["default"].get("DISABLE_SERVER_SIDE_CURSORS")


def test_transaction_pooling_turns_off_server_side_cursors_and_prepared_statements():
    databases = build(DATABASE_POOL_MODE="transaction")

    assert databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert databases["default"]["OPTIONS"]["prepare_threshold"] is None


def test_session_pooling_changes_nothing():
    assert not build(DATABASE_POOL_MODE="session")["default"].get("DISABLE_SERVER_SIDE_CURSORS")


def test_the_pooler_is_never_guessed_from_the_url():
    # Port 6432 is PgBouncer's usual one; only DATABASE_POOL_MODE says what is there.
    assert not build(POOLER)["default"].get("DISABLE_SERVER_SIDE_CURSORS")


@pytest.mark.parametrize("mode", ["statement", "yes", "transactions"])
def test_an_unknown_pool_mode_is_refused(mode):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_MODE"):
        build(DATABASE_POOL_MODE=mode)


def test_server_side_binding_is_refused_under_transaction_pooling():
    databases = {"default": {**dj_database_url.parse(POOLER), "OPTIONS": {"server_side_binding": True}}}
    with pytest.raises(ImproperlyConfigured, match="server_side_binding"):
        configure_databases(databases, {"DATABASE_POOL_MODE": "transaction"}, dj_database_url.parse)


def test_direct_and_replica_aliases():
    databases = build(DATABASE_POOL_MODE="transaction", DIRECT_DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL=REPLICA)

    assert databases["direct"]["PORT"] == 5432 and databases["direct"]["CONN_MAX_AGE"] == 0
    assert not databases["direct"].get("DISABLE_SERVER_SIDE_CURSORS")  # not pooled: a session of its own
    assert databases["replica"]["PORT"] == 5433
    assert databases["replica"]["OPTIONS"]["connect_timeout"] == 1
    assert databases["replica"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert databases["direct"]["TEST"] == databases["replica"]["TEST"] == {"MIRROR": "default"}


def test_the_extra_urls_need_postgresql():
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        build("sqlite:///db.sqlite3", DATABASE_REPLICA_URL=REPLICA)


def test_only_the_primary_is_migrated_and_every_write_goes_there():
    router = ReplicaRouter()

    assert router.allow_migrate("default", "rr") is True
    assert router.allow_migrate("replica", "rr") is False
    assert router.allow_migrate("direct", "rr") is False
    assert router.db_for_write(None) == "default"
    assert router.db_for_read(None) == "default"  # outside a request: the primary
