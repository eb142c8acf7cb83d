"""Networking: three columns on the live `rr_user`, the `rr_network` table, count triggers.

Written for a large, busy `rr_user` (read `manage.py sqlmigrate rr 0004`):
- every new column has a database default, so ADD COLUMN is a catalog-only change
  (no rewrite) and the previous release's INSERTs, which name none of them, work;
- the counts are plain integers with separate CHECK constraints added NOT VALID
  (a PositiveIntegerField would put the CHECK inline and scan the table under
  ACCESS EXCLUSIVE); 0005 validates them without blocking reads or writes;
- the `rr_user` statements come last and reach PostgreSQL as one batch
  (RunInOneRoundTrip): the ACCESS EXCLUSIVE lock the first of them takes is held
  until COMMIT, so everything else, Django's per-operation Python work included
  (5-40 ms depending on machine load), is done before it is taken;
- lock_timeout bounds how long the ALTERs may queue behind a long transaction (and so
  how long they could stall the traffic queued behind them): on timeout the whole
  migration rolls back untouched and can simply be run again. statement_timeout
  aborts the migration should a statement ever do real work under the lock.

One transaction, in this order (PostgreSQL 15):

| statement                                        | lock                                | duration          |
|--------------------------------------------------|-------------------------------------|-------------------|
| SET LOCAL lock_timeout, statement_timeout        | none                                | -                 |
| CREATE TABLE rr_network (pk, UNIQUE pair, CHECK) | new table only                      | instant           |
| CREATE FUNCTION x3                               | none                                | instant           |
| CREATE TRIGGER x2 ON rr_network                  | SHARE ROW EXCLUSIVE on rr_network   | instant (empty)   |
| one batch:                                       |                                     |                   |
| ALTER TABLE rr_user ADD COLUMN ... DEFAULT c     | ACCESS EXCLUSIVE on rr_user,        | catalog only,     |
|   NOT NULL x3                                    |   held until COMMIT                 |   no rewrite      |
| ALTER TABLE rr_user ADD CONSTRAINT CHECK         | ACCESS EXCLUSIVE on rr_user (held)  | catalog only,     |
|   NOT VALID x2                                   |                                     |   no scan         |
| SET LOCAL lock_timeout, statement_timeout        | none                                | -                 |
| ALTER TABLE rr_network ADD CONSTRAINT FOREIGN    | SHARE ROW EXCLUSIVE on rr_network   | checks the empty  |
|   KEY -> rr_user x2 (Django defers these)        |   and rr_user (already held)        |   rr_network      |
| CREATE INDEX x2 ON rr_network                    | SHARE on rr_network                 | instant (empty)   |
| COMMIT                                           | all released                        |                   |

So rr_user is blocked (reads included) from the batch to COMMIT: a few milliseconds
whatever its size (tests/migrations/test_big_table_lock.py measures it on 1,000,000
users under traffic). 0005 then scans rr_user under SHARE UPDATE EXCLUSIVE, which
blocks neither reads nor writes.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.postgres.operations import AddConstraintNotValid
from django.db import migrations, models

from rr.common.migration_ops import RunInOneRoundTrip

# First and last operation: the first bounds the forward run, the last (run first when
# reversing) the backward run. statement_timeout counts lock waits too, so it is longer.
_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"
TIMEOUTS = migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS)

# One function keeps the counter rule for every path that writes rr_network (API,
# admin, cascades, raw SQL). Both user rows are locked in id order first, so that
# A->B and B->A never wait on each other crosswise.
PG_TRIGGERS = """
CREATE FUNCTION rr_network_apply_counts(p_follower bigint, p_following bigint, p_delta integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM rr_user WHERE id IN (p_follower, p_following) ORDER BY id FOR NO KEY UPDATE;
    UPDATE rr_user SET following_count = GREATEST(following_count + p_delta, 0) WHERE id = p_follower;
    UPDATE rr_user SET followers_count = GREATEST(followers_count + p_delta, 0) WHERE id = p_following;
END $$;

CREATE FUNCTION rr_network_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM rr_network_apply_counts(OLD.follower_id, OLD.following_id, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rr_network_apply_counts(NEW.follower_id, NEW.following_id, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION rr_network_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rr_user SET followers_count = 0, following_count = 0
    WHERE followers_count <> 0 OR following_count <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER rr_network_counts
AFTER INSERT OR DELETE OR UPDATE OF follower_id, following_id ON rr_network
FOR EACH ROW EXECUTE FUNCTION rr_network_counts();

CREATE TRIGGER rr_network_counts_truncate
AFTER TRUNCATE ON rr_network
FOR EACH STATEMENT EXECUTE FUNCTION rr_network_counts_truncate();
"""

PG_TRIGGERS_REVERSE = """
DROP TRIGGER IF EXISTS rr_network_counts_truncate ON rr_network;
DROP TRIGGER IF EXISTS rr_network_counts ON rr_network;
DROP FUNCTION IF EXISTS rr_network_counts_truncate();
DROP FUNCTION IF EXISTS rr_network_counts();
DROP FUNCTION IF EXISTS rr_network_apply_counts(bigint, bigint, integer);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("rr", "0003_alter_checklist_score"),
    ]

    operations = [
        TIMEOUTS,
        migrations.CreateModel(
            name="Network",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "follower",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="following_links",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "following",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="follower_links",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "rr_network",
                "indexes": [
                    models.Index(fields=["follower", "id"], name="rr_network_follower_idx"),
                    models.Index(fields=["following", "id"], name="rr_network_following_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("follower", "following"), name="rr_network_unique_pair"),
                    models.CheckConstraint(
                        condition=models.Q(("follower", models.F("following")), _negated=True),
                        name="rr_network_no_self_follow",
                    ),
                ],
            },
        ),
        migrations.RunSQL(PG_TRIGGERS, reverse_sql=PG_TRIGGERS_REVERSE),
        # Last, and in one round trip, so that the ACCESS EXCLUSIVE lock they take on
        # rr_user is held only for the statements themselves and until COMMIT.
        RunInOneRoundTrip(
            [
                migrations.AddField(
                    model_name="user",
                    name="allow_networking",
                    field=models.BooleanField(db_default=True, default=True),
                ),
                migrations.AddField(
                    model_name="user",
                    name="followers_count",
                    field=models.IntegerField(db_default=0, default=0),
                ),
                migrations.AddField(
                    model_name="user",
                    name="following_count",
                    field=models.IntegerField(db_default=0, default=0),
                ),
                AddConstraintNotValid(
                    model_name="user",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("followers_count__gte", 0)), name="rr_user_followers_count_gte_0"
                    ),
                ),
                AddConstraintNotValid(
                    model_name="user",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("following_count__gte", 0)), name="rr_user_following_count_gte_0"
                    ),
                ),
            ]
        ),
        TIMEOUTS,
    ]
