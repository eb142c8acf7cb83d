"""A user's routine (rr.checklists.models.RoutineItem): one new table, rr_routine_item.

Additive: nothing existing changes, and the previous release, which never reads or
writes the table, works as before. Its one contact with it is deleting a user: the
foreign key to rr_user is ON DELETE CASCADE in the database (Django's own constraint
would refuse the previous release's DELETE of a user with a routine), added by hand
below because Django 5.2 cannot declare a database-side cascade (the model says
db_constraint=False; Django's ORM cascades in Python as well).

| statement                                    | lock                                  | duration     |
|----------------------------------------------|---------------------------------------|--------------|
| SET LOCAL lock_timeout, statement_timeout    | none                                  | -            |
| CREATE TABLE rr_routine_item, its CHECK      | the new table only                    | instant      |
| ALTER TABLE rr_routine_item ADD CONSTRAINT   | SHARE ROW EXCLUSIVE on rr_user (its   | checks the   |
|   FOREIGN KEY -> rr_user ON DELETE CASCADE   |   writes wait) until COMMIT           | empty table  |
| CREATE INDEX on the new table                | SHARE on the new (empty) table        | instant      |
| COMMIT                                       | all released                          |              |

rr_user's writes wait from the foreign key to COMMIT: two statements on an empty table.
Measured with tools/migration_locks.py on 1,000,000 users under traffic: docs/OPERATIONS.md has the figures.
lock_timeout bounds the wait behind a long transaction: on timeout everything rolls back
and `migrate` can simply be run again.

Rollback (`migrate rr 0017_regret_client_id`): drops the table (routines are lost;
checklists keep the regrets copied from them). Tested in tests/migrations/test_routine_migration.py.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"

FOREIGN_KEY = (
    "ALTER TABLE rr_routine_item ADD CONSTRAINT rr_routine_item_user_id_fk"
    " FOREIGN KEY (user_id) REFERENCES rr_user (id) ON DELETE CASCADE"
)


class Migration(migrations.Migration):
    dependencies = [("rr", "0017_regret_client_id")]

    operations = [
        migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS),
        migrations.CreateModel(
            name="RoutineItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("description", models.CharField(max_length=255)),
                ("position", models.IntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="routine_items",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "rr_routine_item",
                "indexes": [models.Index(fields=["user", "position", "id"], name="rr_routine_item_user_idx")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("position__gte", 1)), name="rr_routine_item_position")
                ],
            },
        ),
        migrations.RunSQL(FOREIGN_KEY, reverse_sql=migrations.RunSQL.noop),
    ]
