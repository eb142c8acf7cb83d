"""A covering index of a user's days on rr_checklist: (user_id, created_at, id) INCLUDE
(local_date, utc_offset_minutes, score).

The streak fields of a network list page read every checklist of the page's users in
the last year (rr/checklists/days.py), the history every checklist of one user, and the
page its users' latest checklist: with these columns in the index they are index-only
scans instead of one heap page per checklist (the rows of one user are spread over the
table by day). Measured on 500 users with 120 days each (docs/BENCHMARKS.md): the streak
statement 56 -> 31 ms. The cost is about 50 bytes a row on disk and the writes below.

The write cost, measured in docs/BENCHMARKS.md: `score` is in the index, so the score
update after each tick of a regret is no longer a HOT update (PostgreSQL updates in place
only when no indexed column changes): it writes an entry into each of rr_checklist's
indexes. Today's checklist is the only one whose score changes (a past day is frozen).

Built CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes go on, the legacy release's
INSERTs included), so the migration is not atomic; AddIndexConcurrentlyRetryable drops an
INVALID leftover of a failed build first, so rerunning `migrate` is the fix. Its lock
timeout is 10 minutes, not the 3 s of the migrations that block writes: a CONCURRENTLY
build also waits, at its end, for every transaction older than it on any table (a
report, an idle session), and that wait counts against lock_timeout; while it waits
nothing is blocked. Reverse: DROP INDEX CONCURRENTLY.
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
            lock_timeout="10min",
        ),
    ]
