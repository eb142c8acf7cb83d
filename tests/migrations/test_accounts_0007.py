"""0007 (accounts: token cut-off, sessions, recovery codes) rolls back and forward on the live data."""

from tests.support import pg


def _objects(name):
    with pg.connect(name) as conn:
        return {
            "tables": conn.execute(
                "SELECT to_regclass('rr_session') IS NOT NULL, to_regclass('rr_recovery_code') IS NOT NULL"
            ).fetchone(),
            "column": conn.execute(
                "SELECT count(*) FROM information_schema.columns"
                " WHERE table_name = 'rr_user' AND column_name = 'tokens_valid_after'"
            ).fetchone()[0],
        }


def test_rollback_to_0006_drops_only_what_0007_added_and_forward_again(upgraded_legacy, upgraded_template):
    with pg.connect(upgraded_legacy) as conn:
        conn.execute("UPDATE rr_user SET tokens_valid_after = now() WHERE id = 1")
        conn.execute(
            "INSERT INTO rr_session (user_id, created_at, last_used_at, expires_at, user_agent, refresh_jti_hash)"
            " VALUES (1, now(), now(), now() + interval '30 days', 'test', repeat('a', 64))"
        )
    assert _objects(upgraded_legacy) == {"tables": (True, True), "column": 1}

    pg.manage(upgraded_legacy, "migrate", "rr", "0006", "--noinput")

    assert _objects(upgraded_legacy) == {"tables": (False, False), "column": 0}
    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    # The previous release (and the networking one) write rr_user as before.
    with pg.connect(upgraded_legacy) as conn:
        conn.execute(
            "INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined)"
            " VALUES ('!', false, 'after_rollback', true, false, now())"
        )

    pg.manage(upgraded_legacy, "migrate", "--noinput")
    assert _objects(upgraded_legacy) == {"tables": (True, True), "column": 1}
    with pg.connect(upgraded_legacy) as conn:
        conn.execute("DELETE FROM rr_user WHERE username = 'after_rollback'")
    assert pg.schema_dump(upgraded_legacy) == upgraded_template.schema
