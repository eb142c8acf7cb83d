"""Migration 0016 (reminders and Web Push) on the upgraded legacy database: the previous
release's user deletion, rollback, forward again."""

import importlib

import pytest

from tests.support import pg

OURS = "0016_notifications"
# The migration before ours, whatever it is named once others land theirs.
BEFORE = importlib.import_module(f"rr.migrations.{OURS}").Migration.dependencies[0][1]


@pytest.fixture(scope="module")
def before_schema():
    with pg.legacy_database("notifications_before") as name:
        pg.manage(name, "migrate", "rr", BEFORE, "--noinput")
        yield pg.schema_dump(name)


def _push_rows(conn, user_id):
    conn.execute(
        "INSERT INTO rr_reminder (user_id, enabled, local_time, next_due_at, updated_at)"
        " VALUES (%s, true, '20:00', now(), now())",
        [user_id],
    )
    subscription = conn.execute(
        "INSERT INTO rr_push_subscription (user_id, endpoint, p256dh, auth, created_at)"
        " VALUES (%s, %s, 'k', 'a', now()) RETURNING id",
        [user_id, f"https://push.example.com/{user_id}"],
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO rr_push_message (subscription_id, payload, attempts, next_attempt_at, created_at)"
        " VALUES (%s, '{}', 0, now(), now())",
        [subscription],
    )


def test_the_previous_release_deletes_a_user_with_a_reminder_and_subscriptions(upgraded_legacy):
    with pg.connect(upgraded_legacy) as conn:
        user_id = conn.execute(
            "SELECT id FROM rr_user u WHERE NOT EXISTS (SELECT 1 FROM rr_network n"
            " WHERE n.follower_id = u.id OR n.following_id = u.id) ORDER BY id LIMIT 1"
        ).fetchone()[0]
        _push_rows(conn, user_id)
        # Its collector knows the legacy tables only: their rows, then the user, in one transaction.
        with conn.transaction():
            conn.execute(
                "DELETE FROM rr_regret WHERE checklist_id IN (SELECT id FROM rr_checklist WHERE user_id = %s)",
                [user_id],
            )
            conn.execute("DELETE FROM rr_checklist WHERE user_id = %s", [user_id])
            conn.execute("DELETE FROM rr_user WHERE id = %s", [user_id])
        left = conn.execute(
            "SELECT (SELECT count(*) FROM rr_reminder), (SELECT count(*) FROM rr_push_subscription),"
            " (SELECT count(*) FROM rr_push_message)"
        ).fetchone()
    assert left == (0, 0, 0)


def test_rollback_to_the_schema_before_and_forward_again(upgraded_legacy, before_schema):
    with pg.connect(upgraded_legacy) as conn:
        _push_rows(conn, conn.execute("SELECT min(id) FROM rr_user").fetchone()[0])

    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")

    assert pg.schema_dump(upgraded_legacy) == before_schema
    assert ("rr", OURS) not in pg.applied_migrations(upgraded_legacy)
    pg.manage(upgraded_legacy, "migrate", "--noinput")
    assert ("rr", OURS) in pg.applied_migrations(upgraded_legacy)
