"""What a migrating process holds on rr_user, round trip by round trip (a `pg.manage` patch).

`pg.manage(name, "migrate", ..., patch="tests.migrations.lock_probe:record",
env={"LOCK_PROBE_FILE": path, "LOCK_PROBE_BREAKAGE": "<name in lock_breakages>"})`:
after every statement the migrating connection sends (one `cursor.execute`, i.e. one
round trip to PostgreSQL), the same connection asks pg_locks which locks its own
transaction holds on rr_user, and one JSON line is appended to the file: the SQL, its
parameters, the transaction's start time (which tells transactions apart) and those
lock modes. `LOCK_PROBE_BREAKAGE` also applies a deliberate breakage first.

`round_trips_under_lock` turns the lines into what test_big_table_lock.py asserts: per
migration, the strongest lock its transaction took on rr_user and every round trip made
while it held ACCESS EXCLUSIVE there. Counting round trips needs no clock, so the
assertion does not depend on the machine's load.
"""

import importlib
import json
import os
import re

_LOCKS_SQL = (
    "SELECT now()::text, coalesce(array_agg(mode ORDER BY mode) FILTER (WHERE relation = 'rr_user'::regclass), '{}')"
    " FROM pg_locks WHERE locktype = 'relation' AND pid = pg_backend_pid() AND granted"
)
# PostgreSQL's table lock modes, weakest first.
MODES = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]


def record():
    """Install the probe in this (the migrating) process; apply LOCK_PROBE_BREAKAGE first if set."""
    from django.db.backends.signals import connection_created

    breakage = os.environ.get("LOCK_PROBE_BREAKAGE")
    if breakage:
        getattr(importlib.import_module("tests.migrations.lock_breakages"), breakage)()
    path = os.environ["LOCK_PROBE_FILE"]

    def probe(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        raw = context["connection"].connection  # the driver's connection: no wrapper, same transaction
        with raw.cursor() as cursor:
            cursor.execute(_LOCKS_SQL)
            transaction, modes = cursor.fetchone()
        line = {"sql": sql, "params": [str(p) for p in params or ()], "transaction": transaction, "rr_user": modes}
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")
        return result

    def install(sender, connection, **kwargs):
        if probe not in connection.execute_wrappers:
            connection.execute_wrappers.append(probe)

    connection_created.connect(install, weak=False)


def read(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines]


_RECORDED = re.compile(r'^INSERT INTO "django_migrations"')


def by_migration(lines):
    """{migration name: its round trips}: each rr migration's statements end with the INSERT
    that records it in django_migrations (Django records it after running its deferred SQL)."""
    migrations, current = {}, []
    for line in lines:
        if _RECORDED.match(line["sql"]):
            app, name = line["params"][:2]
            if app == "rr":
                migrations[name] = current
            current = []
        else:
            current.append(line)
    return migrations


def _strongest(modes):
    return max(modes, key=MODES.index) if modes else None


def round_trips_under_lock(lines):
    """Per migration: (the strongest lock it held on rr_user, the round trips sent while its
    transaction held ACCESS EXCLUSIVE on rr_user, each a list of its SQL statements)."""
    summary = {}
    for name, trips in by_migration(lines).items():
        strongest = _strongest([mode for trip in trips for mode in trip["rr_user"]])
        held = [statements(trip["sql"]) for trip in trips if "AccessExclusiveLock" in trip["rr_user"]]
        summary[name] = (strongest, held)
    return summary


def statements(sql):
    """The statements of one round trip, whitespace normalised. Splitting at ';' is good
    enough for the DDL probed under the lock (no ';' inside its literals)."""
    return [" ".join(part.split()) for part in sql.split(";") if part.strip()]


_ALTERS_RR_USER = re.compile(r'^ALTER TABLE "rr_user" ')
# Statements that scan or rewrite rr_user: under ACCESS EXCLUSIVE they block its traffic for
# as long as the table is large. (ADD COLUMN with a constant default is catalog only.)
_SCANS_RR_USER = [
    (
        "a CHECK added validated (a full scan)",
        re.compile(r'^ALTER TABLE "rr_user" ADD CONSTRAINT .* CHECK (?!.*NOT VALID$)'),
    ),
    (
        "a foreign key added validated (a full scan)",
        re.compile(r'^ALTER TABLE "rr_user" .*FOREIGN KEY (?!.*NOT VALID$)'),
    ),
    ("a constraint validated", re.compile(r"VALIDATE CONSTRAINT")),
    ("a NOT NULL set (a full scan)", re.compile(r"SET NOT NULL")),
    ("a column type changed (a rewrite)", re.compile(r"ALTER COLUMN .* TYPE ")),
    ("an index built", re.compile(r'^CREATE (UNIQUE )?INDEX .* ON "rr_user"')),
    ("rows written", re.compile(r'^(UPDATE|DELETE FROM|INSERT INTO) "?rr_user"? ')),
]
_CREATES = re.compile(r'^CREATE TABLE "(\w+)"')
_TOUCHES = re.compile(r'^(?:ALTER TABLE|CREATE (?:UNIQUE )?INDEX "\w+" ON) "(\w+)"')


def violations(lines):
    """Where a migration breaks the lock discipline of 0004's docstring, as sentences.

    While a migration's transaction holds ACCESS EXCLUSIVE on rr_user: (1) the round trip
    that took it carries every statement of the migration that alters rr_user (none is
    sent later, after Python work done with the table locked); (2) none of its statements
    scans or rewrites rr_user; (3) the round trips after it only set timeouts or touch
    tables the migration created (empty).
    """
    found = []
    for name, trips in by_migration(lines).items():
        created = {m[1] for trip in trips for s in statements(trip["sql"]) if (m := _CREATES.match(s))}
        held = [statements(trip["sql"]) for trip in trips if "AccessExclusiveLock" in trip["rr_user"]]
        if not held:
            continue
        first, later = held[0], held[1:]
        altering = [s for trip in trips for s in statements(trip["sql"]) if _ALTERS_RR_USER.match(s)]
        strays = [s for s in altering if s not in first]
        if strays:
            found.append(
                f"{name}: {len(strays)} of its {len(altering)} rr_user statements sent in later round trips"
                f" while rr_user was held ({len(held)} round trips under ACCESS EXCLUSIVE): {strays[0]}"
            )
        for statement in (s for trip in held for s in trip):
            for what, pattern in _SCANS_RR_USER:
                if pattern.search(statement):
                    found.append(f"{name}: {what} under ACCESS EXCLUSIVE on rr_user: {statement}")
        for statement in (s for trip in later for s in trip):
            touched = _TOUCHES.match(statement)
            if statement.startswith("SET LOCAL ") or (touched and touched[1] in created):
                continue
            if touched and touched[1] == "rr_user":
                continue  # reported above as a stray rr_user statement
            found.append(
                f"{name}: a round trip under ACCESS EXCLUSIVE on rr_user touches more than new tables: {statement}"
            )
    return found
