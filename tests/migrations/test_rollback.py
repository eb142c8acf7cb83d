"""`migrate rr 0003` on the upgraded legacy database takes networking out and nothing else (SPEC 5)."""

from tests.support import pg

# Everything after the legacy 0003: networking (0004, 0005), the username index (0006),
# accounts (0007), the checklists' local day (0008), follow requests, blocks and nudges (0009, 0010), JIT off (0011),
# the covering index of a user's days (0012), the summary of their days (0013), the new tables'
# cascading foreign keys (0014, 0015) reminders with Web Push (0016)
# the regrets' client_id (0017), the routine (0018) and the reminder's offset trigger (0019).
NETWORKING_MIGRATIONS = {
    ("rr", "0004_networking"),
    ("rr", "0005_validate_user_count_constraints"),
    ("rr", "0006_user_username_upper_idx"),
    ("rr", "0007_accounts_sessions"),
    ("rr", "0008_checklist_local_date"),
    ("rr", "0009_social"),
    ("rr", "0010_validate_user_daily_goal"),
    ("rr", "0011_database_jit_off"),
    ("rr", "0012_checklist_user_days_idx"),
    ("rr", "0013_user_days"),
    ("rr", "0014_user_fks_cascade"),
    ("rr", "0015_validate_user_fks_cascade"),
    ("rr", "0016_notifications"),
    ("rr", "0017_regret_client_id"),
    ("rr", "0018_routine"),
    ("rr", "0019_reminder_follows_offset"),
}


def follow_a_few(name):
    """Some follows, so that rolling back has networking data (and trigger-moved counts) to drop."""
    with pg.connect(name) as conn:
        conn.execute(
            "INSERT INTO rr_network (follower_id, following_id, created_at)"
            " SELECT f, t, now() FROM (VALUES (1, 2), (2, 1), (3, 1), (256, 241)) AS pairs (f, t)"
        )
        assert conn.execute("SELECT followers_count FROM rr_user WHERE id = 1").fetchone() == (2,)


def networking_leftovers(name):
    """Every networking object still in the database, by kind."""
    with pg.connect(name) as conn:
        return {
            "columns": conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'rr_user'"
                " AND column_name IN ('allow_networking', 'followers_count', 'following_count')"
            ).fetchall(),
            "constraints": conn.execute(
                "SELECT conname FROM pg_constraint WHERE conname LIKE 'rr_user_%_count_gte_0'"
                " OR conrelid = to_regclass('rr_network')"
            ).fetchall(),
            "table": conn.execute("SELECT to_regclass('rr_network')").fetchone()[0],
            "functions": conn.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'rr_network%'").fetchall(),
            "triggers": conn.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'rr_network%'").fetchall(),
        }


def test_rollback_to_0003_removes_networking_and_keeps_every_legacy_row(upgraded_legacy, upgraded_template):
    follow_a_few(upgraded_legacy)

    pg.manage(upgraded_legacy, "migrate", "rr", "0003", "--noinput")

    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    assert networking_leftovers(upgraded_legacy) == {
        "columns": [],
        "constraints": [],
        "table": None,
        "functions": [],
        "triggers": [],
    }
    assert not pg.applied_migrations(upgraded_legacy) & NETWORKING_MIGRATIONS
    # Exactly the legacy schema again (dropped columns leave no trace pg_dump could show).
    assert pg.schema_dump(upgraded_legacy) == upgraded_template.legacy_schema


def test_migrating_forward_again_after_rollback(upgraded_legacy, upgraded_template):
    follow_a_few(upgraded_legacy)
    pg.manage(upgraded_legacy, "migrate", "rr", "0003", "--noinput")

    pg.manage(upgraded_legacy, "migrate", "--noinput")

    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    assert pg.applied_migrations(upgraded_legacy) >= NETWORKING_MIGRATIONS
    assert pg.schema_dump(upgraded_legacy) == upgraded_template.schema
    # The follows went with the table; the counts start again from the truth, and move.
    with pg.connect(upgraded_legacy) as conn:
        assert conn.execute(
            "SELECT count(*) FROM rr_user WHERE followers_count <> 0 OR following_count <> 0"
        ).fetchone() == (0,)
        conn.execute("INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (1, 2, now())")
        assert conn.execute(
            "SELECT following_count, (SELECT followers_count FROM rr_user WHERE id = 2) FROM rr_user WHERE id = 1"
        ).fetchone() == (1, 1)
