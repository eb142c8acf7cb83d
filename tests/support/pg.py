"""Scratch PostgreSQL databases on the server of the configured DATABASE_URL.

Every scratch database is named `<configured database>_<suffix>` (see `scratch_name`),
so that engineers and CI jobs sharing one server with different DATABASE_URLs never
touch each other's databases. Typical use in a fixture:

    with scratch_database("legacy") as name:
        load_snapshot(name)
        manage(name, "migrate", "--noinput")
        assert fingerprint(name) == LEGACY_FINGERPRINT

The command-line clients (psql, pg_dump) must be on PATH.
"""

import gzip
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[2]
# A copy of the live database as the legacy release left it (shared/legacy/ of the product's
# steering repository), kept in the repository so that a clone alone passes `make test`.
LEGACY_DIR = REPO / "tests" / "legacy" / "snapshot"
SNAPSHOT_SQL = LEGACY_DIR / "snapshot.sql.gz"
FINGERPRINT_SQL = LEGACY_DIR / "fingerprint.sql"

# What fingerprint.sql prints for the legacy snapshot (tests/legacy/snapshot/TABLES.md):
# table -> (row count, md5 over the legacy columns of every row in id order).
LEGACY_FINGERPRINT = {
    "rr_user": (256, "50a71f0a0c254af6619bb91ab14a76bc"),
    "rr_checklist": (4811, "6129de1dfbc5d29ac7d2e9ef9beefaec"),
    "rr_regret": (14649, "8fdb45ff5e8b06c861b9e29582000c78"),
}

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rr"
MAINTENANCE_DB = "postgres"


def configured_url():
    """The DATABASE_URL this run was given (the project's default when unset)."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def configured_name():
    """The database name of the configured DATABASE_URL."""
    name = urlsplit(configured_url()).path.lstrip("/")
    if not name:
        raise ValueError(f"DATABASE_URL names no database: {configured_url()!r}")
    return name


def scratch_name(suffix):
    """`<configured database>_<suffix>`: unique per DATABASE_URL, so parallel runs don't collide."""
    return f"{configured_name()}_{suffix}"


def database_url(name):
    """The configured DATABASE_URL pointing at database `name` instead (same server and user)."""
    parts = urlsplit(configured_url())
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def connect(name, autocommit=True, **kwargs):
    """A psycopg connection to database `name` (autocommit unless told otherwise)."""
    return psycopg.connect(database_url(name), autocommit=autocommit, **kwargs)


def database_exists(name):
    with connect(MAINTENANCE_DB) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(name, template=None):
    """Create an empty database (or a copy of `template`), replacing any leftover of that name.

    A copy through TEMPLATE is a file-level clone: much faster than reloading a dump,
    but the template must have no open connection meanwhile.
    """
    drop_database(name)
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with connect(MAINTENANCE_DB) as conn:
        conn.execute(statement)


def drop_database(name):
    """Drop the database if it exists, ending any session still connected to it."""
    with connect(MAINTENANCE_DB) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def scratch_database(suffix, template=None):
    """Create `<configured database>_<suffix>` for the block's duration; yields its name."""
    name = scratch_name(suffix)
    create_database(name, template=template)
    try:
        yield name
    finally:
        drop_database(name)


def psql(name, *args, input=None):
    """Run psql against database `name`, stopping at the first error; returns its stdout."""
    result = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url(name), *args],
        input=input,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql {' '.join(args)} failed on {name}:\n{result.stderr}")
    return result.stdout


def load_sql(name, path):
    """Execute a plain SQL file (for example a pg_dump) in database `name`."""
    psql(name, "-f", str(path))


def load_snapshot(name):
    """Load the legacy production snapshot (schema and data) into the empty database `name`."""
    psql(name, input=gzip.decompress(SNAPSHOT_SQL.read_bytes()).decode())


@contextmanager
def legacy_database(suffix):
    """A scratch database `<configured database>_<suffix>` holding the legacy snapshot."""
    with scratch_database(suffix) as name:
        load_snapshot(name)
        yield name


def fingerprint(name):
    """Run the legacy fingerprint.sql: {table: (row count, md5 of its legacy columns)}."""
    output = psql(name, "-A", "-t", "-F", "\t", "-f", str(FINGERPRINT_SQL))
    figures = {}
    for line in output.splitlines():
        if line.strip():
            table, count, digest = line.split("\t")
            figures[table] = (int(count), digest)
    return figures


def manage(name, *args, check=True, timeout=300, env=None, patch=None):
    """Run `python manage.py <args>` in a subprocess against database `name`.

    A separate process gets its own settings and connections, exactly like an operator's
    shell; returns the CompletedProcess (stdout and stderr captured as text). With
    `check`, a non-zero exit raises with the command's output. `patch` names a function
    ("module:function") called before manage.py runs, to break the code on purpose
    (tests that prove a check can fail).
    """
    process_env = {**os.environ, "DATABASE_URL": database_url(name), **(env or {})}
    command = [sys.executable, str(REPO / "manage.py"), *args]
    if patch:
        module, function = patch.split(":")
        preamble = (
            "import importlib, os, runpy, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
            f"importlib.import_module({module!r}).{function}(); "
            f"sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        command = [sys.executable, "-c", preamble, *command[1:]]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} on {name} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def applied_migrations(name):
    """The rows of django_migrations as a set of (app, migration name)."""
    with connect(name) as conn:
        return set(conn.execute("SELECT app, name FROM django_migrations").fetchall())


# What normalise_schema removes from `pg_dump --schema-only` output, and why: none of it
# describes the schema itself.
_NOISE = re.compile(
    r"^(--.*"  # comments: dump headers, server/pg_dump versions, object banners
    r"|SET .*"  # session settings at the top of the dump
    r"|SELECT pg_catalog\.set_config\('search_path'.*"  # same, for search_path
    r"|\\(un)?restrict .*"  # psql guard lines with a random key (pg_dump >= 15.14)
    r")$"
)


def normalise_schema(dump):
    """Strip what differs between two dumps of the same schema (see _NOISE) and blank lines.

    Ownership and grants are left out by `schema_dump` itself (--no-owner
    --no-privileges): they depend on the role that ran the migration, not on it.
    """
    lines = (line.rstrip() for line in dump.splitlines())
    return "\n".join(line for line in lines if line and not _NOISE.match(line)) + "\n"


def schema_dump(name):
    """`pg_dump --schema-only` of database `name`, normalised for comparison."""
    result = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-d", database_url(name)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_dump of {name} failed:\n{result.stderr}")
    return normalise_schema(result.stdout)
