"""A covering index of a user's days on rr_checklist: (user_id, created_at, id) INCLUDE
(local_date, utc_offset_minutes, score).

The streak fields of a network list page read every checklist of the page's users in
the last year (rr/social/days.py), the history every checklist of one user, and the
page its users' latest checklist: with these columns in the index they are index-only
scans instead of one heap page per checklist (the rows of one user are spread over the
table by day). Measured on 500 users with 120 days each (docs/BENCHMARKS.md): the streak
statement 56 -> 31 ms. The cost is a second index on the table's writes and about 50
bytes a row on disk.

Built CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes go on, the legacy release's
INSERTs included), so the migration is not atomic; AddIndexConcurrentlyRetryable bounds
its lock waits and drops an INVALID leftover of a failed build first, so rerunning
`migrate` is the fix. Reverse: DROP INDEX CONCURRENTLY.
"""

from django.db import migrations, models

from rr.common.migration_ops import AddIndexConcurrentlyRetryable


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rr", "0011_database_jit_off")]

    operations = [
        AddIndexConcurrentlyRetryable(
            model_name="checklist",
            index=models.Index(
                fields=["user", "created_at", "id"],
                include=["local_date", "utc_offset_minutes", "score"],
                name="rr_checklist_user_days_idx",
            ),
        ),
    ]
