"""Follow requests, blocks and nudges (three new tables) and two settings on the live `rr_user`.

Written like 0004 (read `manage.py sqlmigrate rr 0009`):
- the three tables are new and empty: creating them, their indexes and their foreign
  keys to rr_user is instant (the foreign keys take SHARE ROW EXCLUSIVE on rr_user,
  which the batch below already holds by then);
- both new rr_user columns have a constant database default, so ADD COLUMN is a
  catalog-only change (no rewrite) and the previous release's INSERTs, which name
  neither, keep working; the daily_goal range CHECK is added NOT VALID (no scan)
  and 0010 validates it under SHARE UPDATE EXCLUSIVE, which blocks no traffic;
- the rr_user statements come last and reach PostgreSQL as one batch
  (RunInOneRoundTrip), so its ACCESS EXCLUSIVE lock lasts only from that batch to
  COMMIT: a few milliseconds whatever rr_user's size
  (tests/migrations/test_social_migrations.py measures it on 1,000,000 users under traffic);
- lock_timeout bounds how long the ALTERs may queue behind a long transaction: on
  timeout everything rolls back untouched and `migrate` can simply be run again.

| statement                                         | lock                                | duration        |
|---------------------------------------------------|-------------------------------------|-----------------|
| SET LOCAL lock_timeout, statement_timeout         | none                                | -               |
| CREATE TABLE rr_follow_request, rr_block, rr_nudge| new tables only                     | instant         |
| one batch:                                        |                                     |                 |
| ALTER TABLE rr_user ADD COLUMN ... DEFAULT c      | ACCESS EXCLUSIVE on rr_user,        | catalog only    |
|   NOT NULL x2                                     |   held until COMMIT                 |                 |
| ALTER TABLE rr_user ADD CONSTRAINT CHECK NOT VALID| ACCESS EXCLUSIVE (held)             | catalog only    |
| SET LOCAL lock_timeout, statement_timeout         | none                                | -               |
| ALTER TABLE rr_follow_request/rr_block/rr_nudge   | SHARE ROW EXCLUSIVE on the new      | checks empty    |
|   ADD CONSTRAINT FOREIGN KEY -> rr_user x6        |   table and rr_user (already held)  |   tables        |
| CREATE INDEX x4 on the new tables (Django defers  | SHARE on the new (empty) tables     | instant         |
|   these and the foreign keys to the end)          |                                     |                 |
| COMMIT                                            | all released                        |                 |

So rr_user is held from the batch to COMMIT for 12 round trips (the batch, the timeouts,
the six foreign keys and four indexes of the empty tables), none of which scans it:
tests/migrations/test_big_table_lock.py counts them.

Rollback (`migrate rr 0008_checklist_local_date`): drops the three tables and the two columns; tested in
tests/migrations/test_rollback.py and tests/migrations/test_social_migrations.py.
"""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.postgres.operations import AddConstraintNotValid
from django.db import migrations, models

from rr.common.migration_ops import RunInOneRoundTrip

_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"
TIMEOUTS = migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS)


def _user_fk(related_name):
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to=settings.AUTH_USER_MODEL,
    )


def _id():
    return models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")


class Migration(migrations.Migration):
    dependencies = [("rr", "0008_checklist_local_date")]

    operations = [
        TIMEOUTS,
        migrations.CreateModel(
            name="FollowRequest",
            fields=[
                ("id", _id()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("requester", _user_fk("follow_requests_sent")),
                ("target", _user_fk("follow_requests_received")),
            ],
            options={
                "db_table": "rr_follow_request",
                "indexes": [models.Index(fields=["target", "id"], name="rr_follow_request_target_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("requester", "target"), name="rr_follow_request_unique_pair"),
                    models.CheckConstraint(
                        condition=models.Q(("requester", models.F("target")), _negated=True),
                        name="rr_follow_request_no_self",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Block",
            fields=[
                ("id", _id()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("blocker", _user_fk("blocks_made")),
                ("blocked", _user_fk("blocks_received")),
            ],
            options={
                "db_table": "rr_block",
                "indexes": [models.Index(fields=["blocked", "blocker"], name="rr_block_blocked_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("blocker", "blocked"), name="rr_block_unique_pair"),
                    models.CheckConstraint(
                        condition=models.Q(("blocker", models.F("blocked")), _negated=True),
                        name="rr_block_no_self",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Nudge",
            fields=[
                ("id", _id()),
                ("local_date", models.DateField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                ("sender", _user_fk("nudges_sent")),
                ("recipient", _user_fk("nudges_received")),
            ],
            options={
                "db_table": "rr_nudge",
                "indexes": [
                    models.Index(fields=["recipient", "id"], name="rr_nudge_recipient_idx"),
                    models.Index(fields=["sender", "created_at"], name="rr_nudge_sender_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("sender", "recipient", "local_date"), name="rr_nudge_once_a_day"),
                    models.CheckConstraint(
                        condition=models.Q(("sender", models.F("recipient")), _negated=True),
                        name="rr_nudge_no_self",
                    ),
                ],
            },
        ),
        # Last, and in one round trip: the ACCESS EXCLUSIVE lock on rr_user lasts from here to COMMIT.
        RunInOneRoundTrip(
            [
                migrations.AddField(
                    model_name="user",
                    name="follow_approval",
                    field=models.BooleanField(db_default=False, default=False),
                ),
                migrations.AddField(
                    model_name="user",
                    name="daily_goal",
                    field=models.DecimalField(
                        db_default=Decimal("0"), decimal_places=4, default=Decimal("0"), max_digits=5
                    ),
                ),
                AddConstraintNotValid(
                    model_name="user",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("daily_goal__gte", 0), ("daily_goal__lte", 1)),
                        name="rr_user_daily_goal_0_1",
                    ),
                ),
            ]
        ),
        TIMEOUTS,
    ]
