"""Migrations 0009/0010 on the upgraded legacy database: the previous release's INSERTs, rollback, forward again."""

import importlib

import psycopg
import pytest

from tests.support import pg
from tests.support.locks import fill_users, migration_trials

FIRST, LAST = "0009_social", "0010_validate_user_daily_goal"
# The migration before ours, whatever it is named once others land theirs: "today's schema".
BEFORE = importlib.import_module(f"rr.migrations.{FIRST}").Migration.dependencies[0][1]

LEGACY_SIGNUP = """
    INSERT INTO rr_user (password, last_login, is_superuser, username, is_active, is_staff, date_joined)
    VALUES ('!unusable', NULL, false, %s, true, false, now())
    RETURNING id, follow_approval, daily_goal
"""


@pytest.fixture(scope="module")
def before_schema():
    """The schema of a legacy database migrated up to the migration before ours."""
    with pg.legacy_database("social_before") as name:
        pg.manage(name, "migrate", "rr", BEFORE, "--noinput")
        yield pg.schema_dump(name)


def test_the_previous_release_still_signs_up_and_the_new_columns_take_their_defaults(upgraded_legacy):
    with pg.connect(upgraded_legacy) as conn:
        assert conn.execute(LEGACY_SIGNUP, ["legacy_after_0009"]).fetchone()[1:] == (False, 0)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE rr_user SET daily_goal = 1.5 WHERE id = 1")
        validated = conn.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'rr_user_daily_goal_0_1'"
        ).fetchone()
        assert validated == (True,)


def test_rollback_to_the_schema_before_and_forward_again(upgraded_legacy, upgraded_template, before_schema):
    with pg.connect(upgraded_legacy) as conn:
        conn.execute("UPDATE rr_user SET follow_approval = true, daily_goal = 0.5 WHERE id = 1")
        conn.execute("INSERT INTO rr_follow_request (requester_id, target_id, created_at) VALUES (2, 1, now())")
        conn.execute("INSERT INTO rr_block (blocker_id, blocked_id, created_at) VALUES (3, 1, now())")
        conn.execute(
            "INSERT INTO rr_nudge (sender_id, recipient_id, local_date, created_at) VALUES (2, 3, '2026-01-01', now())"
        )

    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")

    assert pg.schema_dump(upgraded_legacy) == before_schema
    assert not pg.applied_migrations(upgraded_legacy) & {("rr", FIRST), ("rr", LAST)}
    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    with pg.connect(upgraded_legacy) as conn:  # the release before ours writes as it did
        conn.execute(
            "INSERT INTO rr_user (password, is_superuser, username, is_active, is_staff, date_joined)"
            " VALUES ('!', false, 'after_rollback', true, false, now())"
        )

    pg.manage(upgraded_legacy, "migrate", "--noinput")

    assert pg.schema_dump(upgraded_legacy) == upgraded_template.schema
    with pg.connect(upgraded_legacy) as conn:
        assert conn.execute("SELECT count(*) FROM rr_user WHERE follow_approval OR daily_goal <> 0").fetchone() == (0,)


USERS = 1_000_000
TARGET = 0.050  # seconds beyond the noise floor (see test_big_table_lock.py for the method)
TRIALS = 3


@pytest.mark.slow
def test_0009_0010_barely_block_a_busy_million_row_rr_user():
    """Our migrations alone, from the one before them, on 1,000,000 users under reads and writes."""
    with pg.scratch_database("social_big") as filled:
        pg.manage(filled, "migrate", "rr", BEFORE, "--noinput")
        fill_users(filled, USERS)

        def storage(name):
            with pg.connect(name) as conn:
                return conn.execute("SELECT pg_relation_filenode('rr_user')").fetchone()

        def unchanged_with_defaults(name, measurement, storage_before):
            with pg.connect(name) as conn:
                defaults = conn.execute(
                    "SELECT count(*) FILTER (WHERE NOT follow_approval AND daily_goal = 0), count(*)"
                    " FROM rr_user WHERE username LIKE 'traffic\\_%'"
                ).fetchone()
            assert storage(name) == storage_before, "rr_user was rewritten"
            assert defaults[1] > 0 and defaults[0] == defaults[1]

        migration_trials(
            filled,
            "social_big",
            FIRST,
            LAST,
            trials=TRIALS,
            target=TARGET,
            before=storage,
            after=unchanged_with_defaults,
        )
