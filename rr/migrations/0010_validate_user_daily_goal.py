"""Validate the daily_goal range CHECK added NOT VALID by 0009.

As 0005: VALIDATE CONSTRAINT scans `rr_user` under SHARE UPDATE EXCLUSIVE, which
blocks neither reads nor writes, and is kept apart from 0009 so that 0009's ACCESS
EXCLUSIVE lock is released before the scan starts.
"""

from django.contrib.postgres.operations import ValidateConstraint
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rr", "0009_social")]

    operations = [
        migrations.RunSQL("SET LOCAL lock_timeout = '3s'", reverse_sql=migrations.RunSQL.noop),
        ValidateConstraint(model_name="user", name="rr_user_daily_goal_0_1"),
    ]
