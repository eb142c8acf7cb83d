"""rr_user_days: each user's days in a few columns (rr.checklists.models.UserDays), kept exact by triggers.

The network lists and the history read a user's current streak, longest streak and
strength from one row instead of the user's whole history (rr/checklists/days.py). The
rule that makes the row lives in the database, in one function, so that every write
keeps it whoever makes it: this release, the previous release during a rollback
window (which knows nothing of this table), the admin, raw SQL.

- rr_user_days_compute(users): the rows as the raw days say (the same definition as
  rr/checklists/days.py; tests/checklists/test_user_days_property.py compares both over random
  histories).
- rr_user_days_lock(users): creates the row of each such user with a checklist (empty)
  and row-locks them in id order; rr_user_days_write(users), a later statement so that
  its snapshot sees every refresh it waited for, writes the computed rows (deletes the
  row of a user left without days). rr_user_days_refresh = lock, then write.
- Triggers: a checklist inserted or deleted (per statement, each user once), a
  checklist's day, user, offset or score changed (per row; a score that stays on the
  same side of the goal changes no day's keeping and writes nothing), a regret added to
  or removed from a checklist whose score meets the goal (per statement), the daily
  goal changed, TRUNCATE (the rows go: a user without a row is read from the raw days).

Concurrency (two writes of one user, a goal change during a score change):
docs/ARCHITECTURE.md, "Why the concurrent writes are right";
tests/concurrency/test_user_days_races.py.

A new table, created empty: no scan of anything. The table (its foreign key) and the
triggers reach PostgreSQL as one batch after the functions (RunInOneRoundTrip): they take
SHARE ROW EXCLUSIVE on rr_user, rr_checklist and rr_regret (writes wait, reads go on)
from that batch to COMMIT, two round trips (tests/migrations/test_big_table_lock.py);
lock_timeout bounds the wait behind a long transaction (on
timeout everything rolls back and `migrate` can simply be run again). The rows are then
filled by `manage.py initialize_user_days` (batched, resumable, docs/OPERATIONS.md); until
then readers fall back to the raw days for users without a row.

Rollback (`migrate rr 0012`): drops the triggers, the functions and the table.
"""

from django.conf import settings
from django.db import migrations, models

from rr.common.migration_ops import RunInOneRoundTrip

_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '10s'"
TIMEOUTS = migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS)

CREATE_TABLE = """
CREATE TABLE rr_user_days (
    user_id bigint NOT NULL PRIMARY KEY REFERENCES rr_user (id) ON DELETE CASCADE,
    first_date date NULL,
    last_date date NULL,
    last_offset smallint NULL,
    kept_last date NULL,
    kept_run integer NOT NULL,
    longest integer NOT NULL,
    strength_sum double precision NOT NULL
);
"""
DROP_TABLE = "DROP TABLE IF EXISTS rr_user_days;"

# A day: the local date of a checklist (its local_date, or the UTC date of created_at for
# the previous release's rows), counted once (its earliest, then lowest id, checklist).
# Kept: that checklist has a regret and its score is at most the user's daily goal.
# Runs of kept days are found as gaps-and-islands (d - row_number() is constant along a
# run). strength_sum: sum of m ** (kept_last - d), m = 0.5 ** (1/13); terms below
# 2 ** -1000 are left out (power() would underflow; they cannot move 4 places).
FUNCTIONS = """
CREATE FUNCTION rr_user_days_compute(p_users bigint[])
RETURNS TABLE (user_id bigint, first_date date, last_date date, last_offset smallint,
               kept_last date, kept_run integer, longest integer, strength_sum double precision)
LANGUAGE sql STABLE AS $$
    SELECT u.id, s.first_date, s.last_date, s.last_offset, s.kept_last,
           COALESCE(s.kept_run, 0), COALESCE(s.longest, 0), COALESCE(s.strength_sum, 0)
    FROM rr_user u
    CROSS JOIN LATERAL (
        WITH day AS MATERIALIZED (
            SELECT DISTINCT ON (1) COALESCE(c.local_date, (c.created_at AT TIME ZONE 'UTC')::date) AS d,
                COALESCE(c.utc_offset_minutes, 0)::smallint AS off,
                c.score <= u.daily_goal AND EXISTS (SELECT 1 FROM rr_regret r WHERE r.checklist_id = c.id) AS kept
            FROM rr_checklist c
            WHERE c.user_id = u.id
            ORDER BY 1, c.created_at, c.id
        ), run AS MATERIALIZED (
            SELECT max(k.d) AS run_end, count(*)::integer AS run_len
            FROM (SELECT day.d, day.d - (row_number() OVER (ORDER BY day.d))::integer AS island
                  FROM day WHERE day.kept) k
            GROUP BY k.island
        ), latest AS (
            SELECT day.d, day.off FROM day ORDER BY day.d DESC LIMIT 1
        ), last_run AS (
            SELECT run.run_end, run.run_len FROM run ORDER BY run.run_end DESC LIMIT 1
        )
        SELECT (SELECT min(day.d) FROM day) AS first_date, latest.d AS last_date, latest.off AS last_offset,
            last_run.run_end AS kept_last, last_run.run_len AS kept_run,
            (SELECT max(run.run_len) FROM run) AS longest,
            (SELECT sum(power(0.5::float8, (last_run.run_end - day.d) / 13.0::float8)) FROM day
             WHERE day.kept AND last_run.run_end - day.d < 13000) AS strength_sum
        FROM latest LEFT JOIN last_run ON true
    ) s
    WHERE u.id = ANY(p_users)
$$;

CREATE FUNCTION rr_user_days_lock(p_users bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rr_user_days (user_id, kept_run, longest, strength_sum)
    SELECT u.id, 0, 0, 0 FROM rr_user u
    WHERE u.id = ANY(p_users) AND EXISTS (SELECT 1 FROM rr_checklist c WHERE c.user_id = u.id)
    ORDER BY u.id
    ON CONFLICT (user_id) DO NOTHING;
    PERFORM 1 FROM rr_user_days d WHERE d.user_id = ANY(p_users) ORDER BY d.user_id FOR UPDATE;
END $$;

CREATE FUNCTION rr_user_days_write(p_users bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
BEGIN
    WITH fresh AS MATERIALIZED (
        SELECT * FROM rr_user_days_compute(p_users)
    ), updated AS (
        UPDATE rr_user_days d
        SET first_date = f.first_date, last_date = f.last_date, last_offset = f.last_offset,
            kept_last = f.kept_last, kept_run = f.kept_run, longest = f.longest, strength_sum = f.strength_sum
        FROM fresh f
        WHERE d.user_id = f.user_id
          AND (d.first_date, d.last_date, d.last_offset, d.kept_last, d.kept_run, d.longest, d.strength_sum)
              IS DISTINCT FROM
              (f.first_date, f.last_date, f.last_offset, f.kept_last, f.kept_run, f.longest, f.strength_sum)
        RETURNING 1
    ), deleted AS (
        DELETE FROM rr_user_days d
        WHERE d.user_id = ANY(p_users) AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.user_id = d.user_id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM deleted) INTO written;
    RETURN written;
END $$;

CREATE FUNCTION rr_user_days_refresh(p_users bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_lock(p_users);
    RETURN rr_user_days_write(p_users);
END $$;

CREATE FUNCTION rr_user_days_checklists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.user_id ORDER BY n.user_id) INTO users FROM new_rows n;
    ELSE
        SELECT array_agg(DISTINCT o.user_id ORDER BY o.user_id) INTO users FROM old_rows o;
    END IF;
    PERFORM rr_user_days_refresh(users);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_checklist_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[] := ARRAY[LEAST(OLD.user_id, NEW.user_id), GREATEST(OLD.user_id, NEW.user_id)];
BEGIN
    PERFORM rr_user_days_lock(users);
    -- Under the lock (a later statement, so a goal change that held it is seen): only the
    -- score moved, and on the same side of the goal, so no day changed its keeping.
    IF (OLD.user_id, OLD.created_at, OLD.local_date, OLD.utc_offset_minutes)
           IS NOT DISTINCT FROM (NEW.user_id, NEW.created_at, NEW.local_date, NEW.utc_offset_minutes)
       AND NOT EXISTS (SELECT 1 FROM rr_user u WHERE u.id = NEW.user_id
                       AND (OLD.score <= u.daily_goal) IS DISTINCT FROM (NEW.score <= u.daily_goal)) THEN
        RETURN NULL;
    END IF;
    PERFORM rr_user_days_write(users);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_regrets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c WHERE c.id IN (SELECT n.checklist_id FROM new_rows n);
    ELSE
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c WHERE c.id IN (SELECT o.checklist_id FROM old_rows o);
    END IF;
    IF users IS NULL THEN
        RETURN NULL;  -- the checklists went too (a cascade): their own trigger refreshes
    END IF;
    PERFORM rr_user_days_lock(users);
    -- Whether a checklist has a regret matters only where its score meets the goal.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c JOIN rr_user u ON u.id = c.user_id
        WHERE c.id IN (SELECT n.checklist_id FROM new_rows n) AND c.score <= u.daily_goal;
    ELSE
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c JOIN rr_user u ON u.id = c.user_id
        WHERE c.id IN (SELECT o.checklist_id FROM old_rows o) AND c.score <= u.daily_goal;
    END IF;
    IF users IS NOT NULL THEN
        PERFORM rr_user_days_write(users);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_regret_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_refresh(array_agg(DISTINCT c.user_id ORDER BY c.user_id))
    FROM rr_checklist c WHERE c.id IN (OLD.checklist_id, NEW.checklist_id);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_goal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rr_user_days;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER rr_user_days_checklists_inserted AFTER INSERT ON rr_checklist
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_checklists_changed();
CREATE TRIGGER rr_user_days_checklists_deleted AFTER DELETE ON rr_checklist
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_checklists_changed();
CREATE TRIGGER rr_user_days_checklist_updated
AFTER UPDATE OF user_id, created_at, local_date, utc_offset_minutes, score ON rr_checklist FOR EACH ROW
-- Written as a flat OR (not a row comparison, which PostgreSQL stores as nested ORs): a
-- pg_dump of it then restores to the same definition (tests/ops/test_backup.py).
WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
      OR OLD.local_date IS DISTINCT FROM NEW.local_date
      OR OLD.utc_offset_minutes IS DISTINCT FROM NEW.utc_offset_minutes OR OLD.score IS DISTINCT FROM NEW.score)
EXECUTE FUNCTION rr_user_days_checklist_updated();
CREATE TRIGGER rr_user_days_checklists_truncated AFTER TRUNCATE ON rr_checklist
FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_truncated();
CREATE TRIGGER rr_user_days_regrets_inserted AFTER INSERT ON rr_regret
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_regrets_changed();
CREATE TRIGGER rr_user_days_regrets_deleted AFTER DELETE ON rr_regret
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_regrets_changed();
CREATE TRIGGER rr_user_days_regret_moved AFTER UPDATE OF checklist_id ON rr_regret FOR EACH ROW
WHEN (OLD.checklist_id IS DISTINCT FROM NEW.checklist_id) EXECUTE FUNCTION rr_user_days_regret_moved();
CREATE TRIGGER rr_user_days_regrets_truncated AFTER TRUNCATE ON rr_regret
FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_truncated();
CREATE TRIGGER rr_user_days_goal_changed AFTER UPDATE OF daily_goal ON rr_user FOR EACH ROW
WHEN (OLD.daily_goal IS DISTINCT FROM NEW.daily_goal) EXECUTE FUNCTION rr_user_days_goal_changed();
"""

TRIGGERS_REVERSE = """
DROP TRIGGER IF EXISTS rr_user_days_goal_changed ON rr_user;
DROP TRIGGER IF EXISTS rr_user_days_regrets_truncated ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regret_moved ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regrets_deleted ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regrets_inserted ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_checklists_truncated ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklist_updated ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklists_deleted ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklists_inserted ON rr_checklist;
"""

FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS rr_user_days_truncated();
DROP FUNCTION IF EXISTS rr_user_days_goal_changed();
DROP FUNCTION IF EXISTS rr_user_days_regret_moved();
DROP FUNCTION IF EXISTS rr_user_days_regrets_changed();
DROP FUNCTION IF EXISTS rr_user_days_checklist_updated();
DROP FUNCTION IF EXISTS rr_user_days_checklists_changed();
DROP FUNCTION IF EXISTS rr_user_days_refresh(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_write(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_lock(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_compute(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("rr", "0012_checklist_user_days_idx")]

    operations = [
        TIMEOUTS,
        # No lock on any existing table: the functions' bodies name only tables that exist
        # (plpgsql bodies are resolved when first run).
        migrations.RunSQL(FUNCTIONS, reverse_sql=FUNCTIONS_REVERSE),
        # One batch: the table's foreign key and the triggers take SHARE ROW EXCLUSIVE on
        # rr_user, rr_checklist and rr_regret, held from here to COMMIT only.
        RunInOneRoundTrip(
            [
                migrations.SeparateDatabaseAndState(
                    # Django cannot say ON DELETE CASCADE (the model's on_delete is DO_NOTHING,
                    # db_constraint=False): the table is written here, the model state below.
                    database_operations=[migrations.RunSQL(CREATE_TABLE, reverse_sql=DROP_TABLE)],
                    state_operations=[
                        migrations.CreateModel(
                            name="UserDays",
                            fields=[
                                (
                                    "user",
                                    models.OneToOneField(
                                        db_constraint=False,
                                        on_delete=models.deletion.DO_NOTHING,
                                        primary_key=True,
                                        related_name="days_summary",
                                        serialize=False,
                                        to=settings.AUTH_USER_MODEL,
                                    ),
                                ),
                                ("first_date", models.DateField(null=True)),
                                ("last_date", models.DateField(null=True)),
                                ("last_offset", models.SmallIntegerField(null=True)),
                                ("kept_last", models.DateField(null=True)),
                                ("kept_run", models.IntegerField(default=0)),
                                ("longest", models.IntegerField(default=0)),
                                ("strength_sum", models.FloatField(default=0)),
                            ],
                            options={"db_table": "rr_user_days"},
                        ),
                    ],
                ),
                migrations.RunSQL(TRIGGERS, reverse_sql=TRIGGERS_REVERSE),
            ]
        ),
        TIMEOUTS,
    ]
