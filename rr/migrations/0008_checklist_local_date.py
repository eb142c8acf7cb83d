"""The checklist's local day: rr_checklist.local_date and utc_offset_minutes, both nullable.

New checklists get them from the client's local_datetime. Existing rows keep NULL and
are not backfilled: their offset was never sent, so their day is the UTC date of
created_at, computed at read time (rr/checklists/selectors.py LOCAL_DATE). Nothing
rewrites the table.

Written for a large, busy rr_checklist (read `manage.py sqlmigrate rr 0008`):

| statement                                        | lock                         | duration        |
|--------------------------------------------------|------------------------------|-----------------|
| SET LOCAL lock_timeout, statement_timeout        | none                         | -               |
| ALTER TABLE rr_checklist ADD COLUMN x2 (one      | ACCESS EXCLUSIVE on          | catalog only:   |
|   statement: NULL, no default)                   |   rr_checklist until COMMIT  |   no rewrite    |
| COMMIT                                           |                              |                 |

One ALTER with both columns takes the lock once and holds it for a catalog change only
(tests/migrations/test_checklist_local_date.py checks the table is not rewritten).
lock_timeout bounds the queueing behind a long transaction: on timeout nothing has
changed and `migrate` can simply be run again. The previous release's INSERTs name
neither column and keep working (NULL). Reverse: DROP COLUMN, also catalog only.
"""

from django.db import migrations, models

_TIMEOUTS = ["SET LOCAL lock_timeout = '3s'", "SET LOCAL statement_timeout = '5s'"]


class Migration(migrations.Migration):
    dependencies = [("rr", "0007_accounts_sessions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="checklist", name="local_date", field=models.DateField(blank=True, null=True)
                ),
                migrations.AddField(
                    model_name="checklist",
                    name="utc_offset_minutes",
                    field=models.SmallIntegerField(blank=True, null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [
                        *_TIMEOUTS,
                        'ALTER TABLE "rr_checklist" ADD COLUMN "local_date" date NULL,'
                        ' ADD COLUMN "utc_offset_minutes" smallint NULL',
                    ],
                    reverse_sql=[
                        *_TIMEOUTS,
                        'ALTER TABLE "rr_checklist" DROP COLUMN "utc_offset_minutes", DROP COLUMN "local_date"',
                    ],
                ),
            ],
        ),
    ]
