"""PostgreSQL's JIT compilation off for this database (docs/BENCHMARKS.md, the list's streak fields).

PostgreSQL compiles a statement to machine code when its *estimated* cost passes
`jit_above_cost` (100,000 by default). The list entries' streak statement
(rr/checklists/days.py, 30,000 checklists for a page of 1,000 users on the bench data) is
estimated at about 127,000, almost all of it the EXISTS that is evaluated only for a
score of 1, so every list of 1,000 paid 13-18 ms of compilation for a statement that
runs in about 35 ms (EXPLAIN ANALYZE, docs/BENCHMARKS.md). Nothing this service sends
is a long analytic query that compilation would pay off for, and with a 1M-row
rr_user more statements would cross the threshold.

A database-level default, so it holds for every way in: direct connections, PgBouncer's
server connections (no startup option or session SET is needed, which transaction pooling
would not keep) and the streaming replica (pg_db_role_setting is replicated). It applies
to sessions opened after the migration: gunicorn's workers are restarted by the deploy;
PgBouncer's server connections take it as server_lifetime recycles them (or after
`RECONNECT` on its console).

Only the database's owner (or a superuser) may ALTER DATABASE: for another role the
migration still applies, leaves JIT as it was and writes a WARNING to PostgreSQL's log;
docs/OPERATIONS.md gives the owner's command.
No table is locked: the statement writes one catalog row. Reverse: RESET jit.
"""

from django.db import migrations


def _alter_database(setting):
    return f"""
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I {setting}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'only the owner of database % can run ALTER DATABASE ... {setting} (docs/OPERATIONS.md)',
        current_database();
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("rr", "0010_validate_user_daily_goal")]

    operations = [
        migrations.RunSQL(_alter_database("SET jit = off"), reverse_sql=_alter_database("RESET jit")),
    ]
