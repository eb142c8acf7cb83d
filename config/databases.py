"""The database aliases past one server: a pooler, the direct server and a read replica.

Everything comes from explicit variables, nothing is guessed from a URL:

- `DATABASE_POOL_MODE` (unset, `session` or `transaction`) says what `DATABASE_URL`
  (and `DATABASE_REPLICA_URL`) point at. With `transaction` (PgBouncer's
  pool_mode = transaction) a server connection changes hands after every transaction,
  so nothing may outlive one: server-side cursors are disabled and psycopg never
  prepares statements.
- `DIRECT_DATABASE_URL` (optional) is the same database without the pooler: the
  `direct` alias, which migrations, `initialize_network_counts`, `verify_deployment`'s
  cluster checks and `bin/backup` use (rr.common.db.use_direct_database).
- `DATABASE_REPLICA_URL` (optional) is a streaming replica: the `replica` alias, which
  rr.common.routers.ReplicaRouter sends lag-tolerant reads to.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

POSTGRESQL = "django.db.backends.postgresql"
# What config/settings.py serves with: Django's backend, its health check without a round trip.
POSTGRESQL_ENGINE = "rr.common.postgresql"
POOL_MODES = {"", "session", "transaction"}


def _transaction_pooled(alias: str, database: dict[str, Any]) -> None:
    """Nothing that outlives a transaction: PgBouncer hands the server connection on at COMMIT."""
    options = database.setdefault("OPTIONS", {})
    if options.get("server_side_binding"):
        raise ImproperlyConfigured(
            f"DATABASES[{alias!r}]: server_side_binding prepares statements, which a transaction pooler "
            "hands to other clients; leave it off with DATABASE_POOL_MODE=transaction."
        )
    # Django's default for psycopg 3 already (and its client-side binding never prepares);
    # stated here so that no OPTIONS change can turn prepared statements back on.
    options["prepare_threshold"] = None
    # A named cursor (QuerySet.iterator()) would live on one server connection across
    # transactions; with this Django fetches in chunks from an ordinary cursor instead.
    database["DISABLE_SERVER_SIDE_CURSORS"] = True


def configure_databases(
    databases: dict[str, Any],
    environ: Mapping[str, str],
    parse: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    """Add the `direct` and `replica` aliases and the pooler's settings to DATABASES.

    `databases["default"]` is already built from DATABASE_URL; `parse(url)` builds another
    alias the same way (dj_database_url.parse with the same connection options).
    Returns the same dict.
    """
    default = databases["default"]
    pool_mode = environ.get("DATABASE_POOL_MODE", "").strip().lower()
    direct_url = environ.get("DIRECT_DATABASE_URL", "").strip()
    replica_url = environ.get("DATABASE_REPLICA_URL", "").strip()
    if pool_mode not in POOL_MODES:
        raise ImproperlyConfigured(
            f"DATABASE_POOL_MODE must be 'session' or 'transaction' (or unset), not {pool_mode!r}; "
            "PgBouncer's statement mode cannot run transactions."
        )
    if (pool_mode or direct_url or replica_url) and default["ENGINE"] not in (POSTGRESQL, POSTGRESQL_ENGINE):
        raise ImproperlyConfigured(
            "DATABASE_POOL_MODE, DIRECT_DATABASE_URL and DATABASE_REPLICA_URL need a PostgreSQL DATABASE_URL."
        )
    if pool_mode == "transaction":
        _transaction_pooled("default", default)
    if direct_url:
        direct = parse(direct_url)
        # Used by one command at a time, for minutes: no connection kept for later.
        direct["CONN_MAX_AGE"] = 0
        direct.setdefault("OPTIONS", {}).update(
            {key: value for key, value in default.get("OPTIONS", {}).items() if key == "connect_timeout"}
        )
        direct["TEST"] = {"MIRROR": "default"}
        databases["direct"] = direct
    if replica_url:
        replica = parse(replica_url)
        # A stopped replica must cost a request little: the router falls back to the primary.
        replica.setdefault("OPTIONS", {})["connect_timeout"] = int(environ.get("DB_REPLICA_CONNECT_TIMEOUT", "1"))
        if pool_mode == "transaction":
            _transaction_pooled("replica", replica)
        replica["TEST"] = {"MIRROR": "default"}
        databases["replica"] = replica
    return databases
