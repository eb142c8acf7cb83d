"""Validate the count CHECKs added NOT VALID by 0004.

VALIDATE CONSTRAINT scans `rr_user` under SHARE UPDATE EXCLUSIVE: reads and writes
go on meanwhile. Kept apart from 0004 so that 0004's ACCESS EXCLUSIVE lock is
released before the scan starts.
"""

from django.db import migrations

from rr.common.migration_ops import ValidateConstraint


class Migration(migrations.Migration):
    dependencies = [("rr", "0004_networking")]

    operations = [
        ValidateConstraint(model_name="user", name="rr_user_followers_count_gte_0"),
        ValidateConstraint(model_name="user", name="rr_user_following_count_gte_0"),
    ]
