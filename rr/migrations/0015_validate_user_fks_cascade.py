"""The new tables' foreign keys to rr_user cascade, step 2: validate 0014's, drop the old ones.

VALIDATE scans each table under SHARE UPDATE EXCLUSIVE (ROW SHARE on rr_user), which
blocks neither reads nor writes, and is kept apart from 0014 so that 0014's locks are
released before the scans start. The old constraints are dropped last, in one round
trip: ACCESS EXCLUSIVE on each table and rr_user for a catalog change only. The lock
figures are in 0014's docstring. Reverse: the old constraints back, NOT VALID, in one
round trip (0014's reverse validates them in a transaction of its own).
"""

import importlib

from django.db import migrations

step_1 = importlib.import_module("rr.migrations.0014_user_fks_cascade")


class Migration(migrations.Migration):
    dependencies = [("rr", "0014_user_fks_cascade")]

    operations = [
        migrations.RunSQL("SET LOCAL lock_timeout = '3s';", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            [
                f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{step_1.cascade_name(table, column)}";'
                for table, column, _ in step_1.USER_FKS
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            step_1.batch(f'ALTER TABLE "{table}" DROP CONSTRAINT "{old}";' for table, _, old in step_1.USER_FKS),
            reverse_sql=step_1.batch(
                step_1.foreign_key(table, column, old, cascade=False) for table, column, old in step_1.USER_FKS
            ),
        ),
    ]
