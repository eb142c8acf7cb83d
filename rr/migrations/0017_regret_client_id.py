"""rr_regret.client_id: the client's idempotency key of an added regret (uuid, NULL).

One catalog-only statement on the live rr_regret: a nullable column without a default,
no rewrite, no scan. ACCESS EXCLUSIVE on rr_regret for that statement until COMMIT;
lock_timeout bounds the wait behind a long transaction (on timeout nothing changed and
`migrate` is run again). The previous release's INSERTs do not name it (NULL). No index:
regret_add looks the key up among one checklist's regrets (its checklist_id index) under
the checklist's row lock. Rollback: DROP COLUMN, also catalog only.

| statement                                   | lock                                   | duration     |
|---------------------------------------------|----------------------------------------|--------------|
| SET LOCAL lock_timeout, statement_timeout   | none                                   | -            |
| ALTER TABLE rr_regret ADD COLUMN client_id  | ACCESS EXCLUSIVE on rr_regret to COMMIT| catalog only |
"""

from django.db import migrations, models

_TIMEOUTS = ["SET LOCAL lock_timeout = '3s'", "SET LOCAL statement_timeout = '5s'"]


class Migration(migrations.Migration):
    dependencies = [("rr", "0016_notifications")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="regret", name="client_id", field=models.UUIDField(blank=True, null=True)
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    [*_TIMEOUTS, 'ALTER TABLE "rr_regret" ADD COLUMN "client_id" uuid NULL'],
                    reverse_sql=[*_TIMEOUTS, 'ALTER TABLE "rr_regret" DROP COLUMN "client_id"'],
                )
            ],
        )
    ]
