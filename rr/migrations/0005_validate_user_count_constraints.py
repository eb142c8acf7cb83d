"""Validate the count CHECKs added NOT VALID by 0004.

VALIDATE CONSTRAINT scans `rr_user` under SHARE UPDATE EXCLUSIVE: reads and writes
go on meanwhile (about 60 ms per constraint per million users). Kept apart from 0004
so that 0004's ACCESS EXCLUSIVE lock is released before the scan starts.

That lock still conflicts with VACUUM, ANALYZE and other DDL; lock_timeout makes the
migration fail (and be run again later) rather than wait behind a long manual VACUUM.
No statement_timeout: the scan blocks no traffic, so there is nothing to bound.
"""

from django.contrib.postgres.operations import ValidateConstraint
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rr", "0004_networking")]

    operations = [
        migrations.RunSQL("SET LOCAL lock_timeout = '3s'", reverse_sql=migrations.RunSQL.noop),
        ValidateConstraint(model_name="user", name="rr_user_followers_count_gte_0"),
        ValidateConstraint(model_name="user", name="rr_user_following_count_gte_0"),
    ]
