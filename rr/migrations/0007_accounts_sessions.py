"""Accounts: the per-user token cut-off, sessions, recovery codes; token texts scrubbed.

Additive, one transaction (PostgreSQL 15, read `manage.py sqlmigrate rr 0007`):

| statement                                          | lock                                   | duration         |
|----------------------------------------------------|----------------------------------------|------------------|
| SET LOCAL lock_timeout 3s, statement_timeout 5s    | none                                   | -                |
| CREATE TABLE rr_recovery_code, rr_session          | new tables only                        | instant          |
| SET LOCAL statement_timeout 0                      | none                                   | -                |
| UPDATE token_blacklist_outstandingtoken SET token  | row locks (FOR NO KEY UPDATE) on the   | one pass over    |
|   = '' WHERE token <> ''                           |   rows with a token text               |   that table     |
| SET LOCAL statement_timeout 5s                     | none                                   | -                |
| ALTER TABLE rr_user ADD COLUMN tokens_valid_after  | ACCESS EXCLUSIVE on rr_user, held      | catalog only     |
|   timestamptz NULL                                 |   until COMMIT                         |   (no default)   |
| ALTER TABLE rr_session/rr_recovery_code ADD        | SHARE ROW EXCLUSIVE on rr_user (held   | checks the empty |
|   FOREIGN KEY -> rr_user (Django defers these)     |   already)                             |   new tables     |
| CREATE INDEX x4 on the new tables                  | new tables only                        | instant (empty)  |
| COMMIT                                             | all released                           |                  |

The scrub: simplejwt's outstanding-token table holds the full text of every refresh
token the previous releases issued, and those are usable (legacy grace period), so a
copy or a backup of the table would log people in. This release never reads that
column (it checks legacy tokens by `jti`) and stores '' there. The UPDATE blocks
nobody: the previous release's inserts and its blacklist's foreign-key checks (KEY
SHARE) do not conflict with it; its statement timeout is lifted because the table's
size is the previous releases' login count. It runs before the rr_user ALTER, so
rr_user is held only for the catalog change and the empty tables' constraints.

The previous release's INSERTs into rr_user name no new column and get NULL (no cut-off).
Rollback (`migrate rr 0006`) drops the two tables and the column; the scrubbed texts
stay scrubbed (nothing reads them).
"""

from django.conf import settings
from django.db import migrations, models

_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"
TIMEOUTS = migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS)

SCRUB_TOKEN_TEXTS = migrations.RunSQL(
    "UPDATE token_blacklist_outstandingtoken SET token = '' WHERE token <> ''",
    reverse_sql=migrations.RunSQL.noop,
)


class Migration(migrations.Migration):
    dependencies = [
        ("rr", "0006_user_username_upper_idx"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TIMEOUTS,
        migrations.CreateModel(
            name="RecoveryCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.TextField(unique=True)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE, related_name="recovery_codes", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={"db_table": "rr_recovery_code"},
        ),
        migrations.CreateModel(
            name="Session",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("user_agent", models.TextField(blank=True, default="")),
                ("refresh_jti_hash", models.TextField()),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="api_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "rr_session",
                "indexes": [models.Index(fields=["user", "-last_used_at"], name="rr_session_user_used_idx")],
            },
        ),
        migrations.RunSQL("SET LOCAL statement_timeout = 0", reverse_sql=migrations.RunSQL.noop),
        SCRUB_TOKEN_TEXTS,
        TIMEOUTS,
        migrations.AddField(
            model_name="user",
            name="tokens_valid_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
