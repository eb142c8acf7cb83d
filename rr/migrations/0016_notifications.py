"""Web Push and reminders: three new tables, rr_push_subscription, rr_push_message and rr_reminder.

Nothing existing changes. The tables are new and empty, so creating them and their
indexes is instant; their foreign keys to rr_user take SHARE ROW EXCLUSIVE on rr_user
(the previous release's writes wait, reads go on) from the first ALTER to COMMIT, a few
catalog statements that scan nothing. lock_timeout bounds the wait for that lock behind
a long transaction: on timeout everything rolls back and `migrate` can be run again.

| statement                                        | lock                                 | duration   |
|--------------------------------------------------|--------------------------------------|------------|
| SET LOCAL lock_timeout, statement_timeout        | none                                 | -          |
| CREATE TABLE x3, their indexes and CHECKs        | the new tables only                  | instant    |
| ALTER TABLE ... ADD CONSTRAINT FOREIGN KEY x3    | SHARE ROW EXCLUSIVE on rr_user and   | checks     |
|   ON DELETE CASCADE (rr_user twice,              |   the new tables, until COMMIT       |   empty    |
|   rr_push_subscription once)                     |                                      | tables     |
| COMMIT                                           | all released                         |            |

The foreign keys cascade in the database: the previous release's deletion of a user (its
collector knows none of these tables) takes the user's reminder, subscriptions and
queued messages with it instead of failing at COMMIT.

Rollback (`migrate rr 0015_validate_user_fks_cascade`): drops the three tables; tested in
tests/migrations/test_notifications_migration.py.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Every foreign key of the new tables, ON DELETE CASCADE (see rr/notifications/models.py).
FOREIGN_KEYS = [
    ("rr_push_subscription", "user_id", "rr_user"),
    ("rr_reminder", "user_id", "rr_user"),
    ("rr_push_message", "subscription_id", "rr_push_subscription"),
]
_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"


class Migration(migrations.Migration):
    dependencies = [
        ("rr", "0015_validate_user_fks_cascade"),
    ]

    operations = [
        migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS),
        migrations.CreateModel(
            name="PushSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("endpoint", models.TextField(unique=True)),
                ("p256dh", models.TextField()),
                ("auth", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="push_subscriptions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "rr_push_subscription",
            },
        ),
        migrations.CreateModel(
            name="Reminder",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reminder",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("enabled", models.BooleanField(default=False)),
                ("local_time", models.TimeField()),
                ("utc_offset_minutes", models.SmallIntegerField(blank=True, null=True)),
                ("next_due_at", models.DateTimeField(blank=True, null=True)),
                ("last_sent_on", models.DateField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "rr_reminder",
                "indexes": [
                    models.Index(
                        condition=models.Q(("next_due_at__isnull", False)),
                        fields=["next_due_at"],
                        name="rr_reminder_due_idx",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("utc_offset_minutes__gte", -720), ("utc_offset_minutes__lte", 840)),
                        name="rr_reminder_offset_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("enabled", True), ("next_due_at__isnull", True), _connector="OR"),
                        name="rr_reminder_disabled_not_due",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="PushMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("payload", models.JSONField()),
                ("attempts", models.SmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "subscription",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="rr.pushsubscription",
                    ),
                ),
            ],
            options={
                "db_table": "rr_push_message",
                "indexes": [models.Index(fields=["next_attempt_at"], name="rr_push_message_next_idx")],
            },
        ),
        migrations.RunSQL(
            [
                *(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{column}_fk_{target}_cascade" FOREIGN KEY ("{column}")'
                    f' REFERENCES "{target}" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED'
                    for table, column, target in FOREIGN_KEYS
                ),
            ],
            # The tables go with their constraints.
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
