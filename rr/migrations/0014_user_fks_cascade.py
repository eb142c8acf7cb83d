"""The new tables' foreign keys to rr_user cascade in the database (ON DELETE CASCADE), step 1.

Why: during the runbook's rollback window the previous release runs on this schema, and
its deletion of a user (Django's collector, which knows only the legacy tables) left the
user's follows, sessions, recovery codes, follow requests, blocks and nudges behind: the
deferred foreign keys refused the COMMIT. With ON DELETE CASCADE PostgreSQL deletes those
rows itself, and rr_network's count trigger (0004) moves the neighbours' counts for each
link deleted that way (tests/migrations/test_user_fk_cascade.py runs that deletion).
This release's own deletion (rr/common/locks.py users_delete) deletes the rows first,
through Django, so the cascade finds nothing left.

The legacy release's own tables (rr_checklist, rr_user_groups, rr_user_user_permissions,
django_admin_log, token_blacklist_outstandingtoken) keep their constraints: its collector
deletes their rows, and this release's too (rr/ops/verify.py checks both kinds).

A live constraint change in three steps, each constraint replaced by one of the same
columns (the old one cannot be altered to cascade in place):

| step | statement | lock | duration |
|---|---|---|---|
| 0014 | ADD CONSTRAINT ... ON DELETE CASCADE NOT VALID x10, one round trip | SHARE ROW EXCLUSIVE on the six tables and rr_user until COMMIT (blocks writes, not reads) | catalog only: no scan |
| 0015 | VALIDATE CONSTRAINT x10 | SHARE UPDATE EXCLUSIVE on each table, ROW SHARE on rr_user: reads and writes go on | one scan of each table |
| 0015 | DROP CONSTRAINT (the old ones) x10, one round trip | ACCESS EXCLUSIVE on the six tables and rr_user until COMMIT | catalog only |

Measured with tools/migration_locks.py on 1,000,000 users under reads and writes
(docs/OPERATIONS.md, figures in the README's migration list): the longest block is
within the machine's noise. lock_timeout bounds the wait behind a long transaction: on
timeout nothing has changed and `migrate` is simply run again. The previous release's
INSERTs name none of these tables. Rollback: 0015's reverse puts the old constraints
back NOT VALID (catalog only), this one's validates them, then drops the new ones.
"""

from django.db import migrations

# (table, column, the constraint Django created): every foreign key to rr_user of a table
# the previous release does not know, as 0004, 0007 and 0009 created them (0013's
# rr_user_days cascades already).
USER_FKS = [
    ("rr_network", "follower_id", "rr_network_follower_id_90fae8fe_fk_rr_user_id"),
    ("rr_network", "following_id", "rr_network_following_id_28b65608_fk_rr_user_id"),
    ("rr_recovery_code", "user_id", "rr_recovery_code_user_id_b7714852_fk_rr_user_id"),
    ("rr_session", "user_id", "rr_session_user_id_a5f7b00a_fk_rr_user_id"),
    ("rr_follow_request", "requester_id", "rr_follow_request_requester_id_9be3ebdc_fk_rr_user_id"),
    ("rr_follow_request", "target_id", "rr_follow_request_target_id_2a693812_fk_rr_user_id"),
    ("rr_block", "blocker_id", "rr_block_blocker_id_f842a3ef_fk_rr_user_id"),
    ("rr_block", "blocked_id", "rr_block_blocked_id_86840b7b_fk_rr_user_id"),
    ("rr_nudge", "sender_id", "rr_nudge_sender_id_89febf79_fk_rr_user_id"),
    ("rr_nudge", "recipient_id", "rr_nudge_recipient_id_283ac523_fk_rr_user_id"),
]

TIMEOUTS = "SET LOCAL lock_timeout = '3s';\nSET LOCAL statement_timeout = '5s';\n"


def cascade_name(table, column):
    return f"{table}_{column}_fk_rr_user_cascade"


def foreign_key(table, column, name, *, cascade):
    on_delete = " ON DELETE CASCADE" if cascade else ""
    return (
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}")'
        f' REFERENCES "rr_user" ("id"){on_delete} DEFERRABLE INITIALLY DEFERRED NOT VALID;'
    )


def batch(statements):
    """One string: PostgreSQL receives the statements as one round trip (the locks are held
    for the statements alone, as rr/common/migration_ops.py RunInOneRoundTrip does)."""
    return TIMEOUTS + "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [("rr", "0013_user_days")]

    operations = [
        migrations.RunSQL(
            batch(
                foreign_key(table, column, cascade_name(table, column), cascade=True) for table, column, _ in USER_FKS
            ),
            # Rolling back, 0015's reverse has put the old constraints back NOT VALID: they are
            # validated here, in a transaction of their own, before the new ones go.
            reverse_sql=[
                "SET LOCAL lock_timeout = '3s';",
                *(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{old}";' for table, _, old in USER_FKS),
                batch(
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{cascade_name(table, column)}";'
                    for table, column, _ in USER_FKS
                ),
            ],
        ),
    ]
