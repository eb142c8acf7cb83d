"""0011 turns JIT compilation off for the database, for every new session, and the way back resets it."""

import pytest

from tests.support import pg

BEFORE = "0010_validate_user_daily_goal"
MIGRATION = "0011_database_jit_off"
DATABASE_SETTINGS = """
    SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = current_database() AND s.setrole = 0
"""


def _settings(name):
    """(the database's own settings, jit as a new session sees it)."""
    with pg.connect(name) as conn:
        row = conn.execute(DATABASE_SETTINGS).fetchone()
        return (row[0] if row else None), conn.execute("SHOW jit").fetchone()[0]


@pytest.fixture
def before_0011(upgraded_legacy):
    """A copy of the upgraded legacy database taken back to just before 0011 (a copy keeps no database settings)."""
    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")
    return upgraded_legacy


def test_0011_sets_jit_off_for_new_sessions_and_rollback_resets_it(before_0011):
    with pg.connect(before_0011) as conn:
        server_default = conn.execute("SELECT reset_val FROM pg_settings WHERE name = 'jit'").fetchone()[0]
    assert _settings(before_0011) == (None, server_default)

    pg.manage(before_0011, "migrate", "rr", MIGRATION, "--noinput")
    assert _settings(before_0011) == (["jit=off"], "off")

    pg.manage(before_0011, "migrate", "rr", BEFORE, "--noinput")
    assert _settings(before_0011) == (None, server_default)


def test_a_role_that_does_not_own_the_database_leaves_jit_as_it_was_and_the_migration_applies(before_0011):
    # Its WARNING goes to PostgreSQL's log; the deploy is not stopped for a speed setting.
    role = f"{before_0011}_not_owner"  # one per scratch database: runs sharing a server do not collide
    with pg.connect(before_0011) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
    try:
        url = pg.database_url(before_0011).replace("postgres@", f"{role}@", 1)
        # DIRECT_DATABASE_URL emptied: migrate would otherwise take it, as the owner.
        env = {"DATABASE_URL": url, "DIRECT_DATABASE_URL": ""}
        pg.manage(before_0011, "migrate", "rr", MIGRATION, "--noinput", env=env)
        assert pg.applied_migrations(before_0011) >= {("rr", MIGRATION)}
        assert _settings(before_0011)[0] is None
    finally:
        with pg.connect(before_0011) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
