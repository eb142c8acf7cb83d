"""Index UPPER(username): sign-up's case-insensitive "name taken?" check stops scanning rr_user.

Built CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes go on), so the migration
is not atomic. A CONCURRENTLY build that fails leaves an INVALID index behind; the
forward SQL drops any such leftover first, so rerunning `migrate` is the fix.
Not unique: the legacy data holds `Bob` beside `bob`.
"""

from django.db import migrations, models
from django.db.models.functions import Upper

INDEX = "rr_user_username_upper_idx"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rr", "0005_validate_user_count_constraints")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="user", index=models.Index(Upper("username"), name=INDEX)),
            ],
            database_operations=[
                # Django's AddIndexConcurrently would send other SQL (no lock_timeout, no
                # leftover drop, no IF NOT EXISTS) than production ran: kept as written.
                # New migrations use rr.common.migration_ops.AddIndexConcurrentlyRetryable.
                migrations.RunSQL(
                    [
                        "SET lock_timeout = '3s'",
                        f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"',
                        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{INDEX}" ON "rr_user" (UPPER("username"))',
                        "RESET lock_timeout",
                    ],
                    reverse_sql=[f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"'],
                ),
            ],
        ),
    ]
