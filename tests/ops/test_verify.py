"""deployment_verify and `manage.py verify_deployment` on a healthy and on broken databases.

Each breakage is DDL or data changed inside the test's transaction, which PostgreSQL
rolls back at the end like any other change; the scratch-database runs of the real
command (exit status) are in test_runbook.py.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from rr.accounts.models import User
from rr.network.models import Network
from rr.ops.verify import deployment_verify
from tests.ops.helpers import follow, sql

CHECKS = [
    "user columns", "user constraints", "network table", "user foreign keys", "requests, blocks, nudges", "indexes",
    "network triggers", "reminder trigger", "migrations", "database settings", "counts", "user days", "endpoints",
]  # fmt: skip


@pytest.fixture
def people(make_user, checklist):
    users = [make_user() for _ in range(3)]
    follow(users[0], users[1])
    follow(users[2], users[1])
    for user in users[:2]:  # days for the summary check to compare
        checklist(user, datetime.now(UTC) - timedelta(days=1), total=2, resolved=2)
    return users


def failures(**options):
    results = deployment_verify(**options)
    assert [r.name for r in results] == CHECKS
    return {r.name: r.detail for r in results if not r.ok}


def test_a_healthy_database_passes_every_check(people):
    assert failures() == {}
    assert failures(sample=2) == {}


def test_the_endpoint_check_leaves_nothing_behind(people):
    def state():
        return User.objects.count(), Network.objects.count(), sql("SELECT * FROM rr_user ORDER BY id")

    before = state()
    assert failures() == {}
    assert state() == before


def test_the_endpoints_answer_under_production_settings(people, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.DEBUG = False
    assert failures() == {}


# Django names foreign keys with a hash; drop the one on `table`.`column`, whatever its name.
_DROP_FOREIGN_KEY = """
    DO $$ BEGIN EXECUTE (
        SELECT format('ALTER TABLE {table} DROP CONSTRAINT %I', conname) FROM pg_constraint
        WHERE conrelid = '{table}'::regclass AND contype = 'f'
          AND conkey = ARRAY[(SELECT attnum FROM pg_attribute
                              WHERE attrelid = '{table}'::regclass AND attname = '{column}')]
    ); END $$
"""


def _drop_foreign_key(table, column):
    return _DROP_FOREIGN_KEY.format(table=table, column=column)


def _replace_foreign_key(table, column, options):
    return _drop_foreign_key(table, column) + (
        f"; ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES rr_user (id) {options}"
    )


BREAKAGES = {
    "index dropped": (
        "DROP INDEX rr_network_follower_idx",
        {"indexes": "rr_network_follower_idx is missing"},
    ),
    "covering index of a user's days built without its INCLUDE columns": (
        "DROP INDEX rr_checklist_user_days_idx;"
        "CREATE INDEX rr_checklist_user_days_idx ON rr_checklist (user_id, created_at, id)",
        {"indexes": "rr_checklist_user_days_idx is"},
    ),
    "index left INVALID by a failed concurrent build": (
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'rr_user_username_upper_idx'::regclass",
        {"indexes": "rr_user_username_upper_idx on rr_user is INVALID"},
    ),
    "index left INVALID on a table outside rr_* (the token blacklist)": (
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid ="
        " (SELECT indexrelid FROM pg_index WHERE indrelid = 'token_blacklist_outstandingtoken'::regclass"
        "  AND NOT indisprimary ORDER BY indexrelid LIMIT 1)",
        {"indexes": "on token_blacklist_outstandingtoken is INVALID"},
    ),
    "count check NOT VALID": (
        "ALTER TABLE rr_user DROP CONSTRAINT rr_user_followers_count_gte_0;"
        "ALTER TABLE rr_user ADD CONSTRAINT rr_user_followers_count_gte_0 CHECK (followers_count >= 0) NOT VALID",
        {"user constraints": "rr_user_followers_count_gte_0 is NOT VALID"},
    ),
    "self-follow allowed": (
        "ALTER TABLE rr_network DROP CONSTRAINT rr_network_no_self_follow",
        {"network table": "rr_network_no_self_follow is missing"},
    ),
    "pair not unique": (
        "ALTER TABLE rr_network DROP CONSTRAINT rr_network_unique_pair",
        {"network table": "rr_network_unique_pair is missing"},
    ),
    "column default dropped": (
        "ALTER TABLE rr_user ALTER COLUMN allow_networking DROP DEFAULT",
        {"user columns": "allow_networking defaults to None, expected true"},
    ),
    "column nullable": (
        "ALTER TABLE rr_user ALTER COLUMN following_count DROP NOT NULL",
        {"user columns": "following_count allows NULL"},
    ),
    "reminder trigger disabled": (
        "ALTER TABLE rr_checklist DISABLE TRIGGER rr_reminder_follow_offset",
        {"reminder trigger": "rr_reminder_follow_offset is disabled"},
    ),
    "reminder trigger dropped": (
        "DROP TRIGGER rr_reminder_follow_offset ON rr_checklist",
        {"reminder trigger": "rr_reminder_follow_offset on rr_checklist is missing"},
    ),
    "trigger disabled": (
        "ALTER TABLE rr_network DISABLE TRIGGER rr_network_counts",
        {"network triggers": "rr_network_counts is disabled", "endpoints": "counts did not move with the follow"},
    ),
    "follower foreign key dropped": (
        _drop_foreign_key("rr_network", "follower_id"),
        {"user foreign keys": "rr_network.follower_id -> rr_user is missing"},
    ),
    "following foreign key dropped": (
        _drop_foreign_key("rr_network", "following_id"),
        {"user foreign keys": "rr_network.following_id -> rr_user is missing"},
    ),
    "block's foreign key dropped": (
        _drop_foreign_key("rr_block", "blocker_id"),
        {"user foreign keys": "rr_block.blocker_id -> rr_user is missing"},
    ),
    "session's foreign key dropped": (
        _drop_foreign_key("rr_session", "user_id"),
        {"user foreign keys": "rr_session.user_id -> rr_user is missing"},
    ),
    "a legacy table's foreign key dropped": (
        _drop_foreign_key("rr_checklist", "user_id"),
        {"user foreign keys": "rr_checklist.user_id -> rr_user is missing"},
    ),
    "a new table's foreign key not cascading (the previous release cannot delete a user)": (
        _replace_foreign_key("rr_nudge", "recipient_id", "DEFERRABLE INITIALLY DEFERRED"),
        {"user foreign keys": "rr_nudge.recipient_id -> rr_user does not cascade"},
    ),
    "a foreign key NOT VALID": (
        _replace_foreign_key(
            "rr_follow_request", "target_id", "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID"
        ),
        {"user foreign keys": "rr_follow_request.target_id -> rr_user is NOT VALID"},
    ),
    "a second, non-cascading foreign key beside a cascading one": (
        "ALTER TABLE rr_block ADD FOREIGN KEY (blocked_id) REFERENCES rr_user (id) DEFERRABLE INITIALLY DEFERRED",
        {"user foreign keys": "rr_block.blocked_id -> rr_user does not cascade"},
    ),
    "count trigger dropped": (
        "DROP TRIGGER rr_network_counts ON rr_network",
        {"network triggers": "rr_network_counts is missing", "endpoints": "counts did not move with the follow"},
    ),
    "truncate trigger dropped": (
        "DROP TRIGGER rr_network_counts_truncate ON rr_network",
        {"network triggers": "rr_network_counts_truncate is missing"},
    ),
    "count trigger blind to deletes": (
        "DROP TRIGGER rr_network_counts ON rr_network;"
        "CREATE TRIGGER rr_network_counts AFTER INSERT ON rr_network FOR EACH ROW EXECUTE FUNCTION rr_network_counts()",
        {
            "network triggers": "rr_network_counts is 'CREATE TRIGGER rr_network_counts AFTER INSERT ON rr_network",
            "endpoints": "counts did not move with the unfollow",
        },
    ),
    "migration unapplied": (
        "DELETE FROM django_migrations WHERE app = 'rr' AND name = '0005_validate_user_count_constraints'",
        {"migrations": "unapplied: rr.0005_validate_user_count_constraints"},
    ),
    "migration unknown": (
        "INSERT INTO django_migrations (app, name, applied) VALUES ('rr', '0099_from_the_future', now())",
        {"migrations": "applied but unknown to this release: rr.0099_from_the_future"},
    ),
    "link across a block": (
        "INSERT INTO rr_block (blocker_id, blocked_id, created_at)"
        " SELECT following_id, follower_id, now() FROM rr_network ORDER BY id LIMIT 1",
        {"requests, blocks, nudges": "1 links cross a block"},
    ),
    "pending request across a block": (
        "INSERT INTO rr_follow_request (requester_id, target_id, created_at)"
        " SELECT min(id), max(id), now() FROM rr_user;"
        "INSERT INTO rr_block (blocker_id, blocked_id, created_at) SELECT max(id), min(id), now() FROM rr_user",
        {"requests, blocks, nudges": "1 pending requests cross a block"},
    ),
    "block pair not unique": (
        "ALTER TABLE rr_block DROP CONSTRAINT rr_block_unique_pair",
        {"requests, blocks, nudges": "rr_block_unique_pair is missing"},
    ),
    "daily goal check NOT VALID": (
        "ALTER TABLE rr_user DROP CONSTRAINT rr_user_daily_goal_0_1;"
        "ALTER TABLE rr_user ADD CONSTRAINT rr_user_daily_goal_0_1"
        " CHECK (daily_goal >= 0 AND daily_goal <= 1) NOT VALID",
        {"user constraints": "rr_user_daily_goal_0_1 is NOT VALID"},
    ),
    "approval default dropped": (
        "ALTER TABLE rr_user ALTER COLUMN follow_approval DROP DEFAULT",
        {"user columns": "follow_approval defaults to None, expected false"},
    ),
    "jit on for the app's role in this database, over the database's off": (
        "DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET jit = on', current_user, current_database());"
        " END $$",
        {"database settings": "jit is on for this database's new sessions"},
    ),
    "summary of days drifted": (
        "UPDATE rr_user_days SET kept_run = kept_run + 1 WHERE user_id = (SELECT min(user_id) FROM rr_user_days)",
        {"user days": "1 of all 3 users have a summary of days that differs from their checklists"},
    ),
    "summary of days missing (backfill not run)": (
        "DELETE FROM rr_user_days WHERE user_id = (SELECT min(user_id) FROM rr_user_days)",
        {"user days": "1 of all 3 users have a summary of days that differs"},
    ),
    "summary of days trigger disabled": (
        "ALTER TABLE rr_checklist DISABLE TRIGGER rr_user_days_checklist_updated",
        {"user days": "rr_user_days_checklist_updated is disabled"},
    ),
    "summary of days trigger dropped": (
        "DROP TRIGGER rr_user_days_goal_changed ON rr_user",
        {"user days": "rr_user_days_goal_changed on rr_user is missing"},
    ),
    "count drifted": (
        "UPDATE rr_user SET followers_count = followers_count + 1 WHERE id = (SELECT min(id) FROM rr_user)",
        {"counts": "1 of all 3 users have counts that differ"},
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_database_fails_exactly_the_checks_concerned(people, breakage):
    statement, expected = BREAKAGES[breakage]
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses tables with deferred FK checks pending
    sql(statement)
    found = failures()
    assert set(found) == set(expected), found
    for name, message in expected.items():
        assert message in found[name]


# Committed, as a real deployment's settings are: a new session sees them (and the
# catalog agrees). Each is undone after. Only this test database's settings: a role-wide
# ALTER ROLE would reach every other database of the server meanwhile.
JIT_BREAKAGES = {
    "jit left on (0011 run by a role that does not own the database, or a restore)": (
        "ALTER DATABASE {database} RESET jit",
        "ALTER DATABASE {database} SET jit = off",
    ),
    "jit on for the app's role in this database": (
        "ALTER ROLE {role} IN DATABASE {database} SET jit = on",
        "ALTER ROLE {role} IN DATABASE {database} RESET jit",
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("breakage", JIT_BREAKAGES)
def test_jit_on_for_a_new_session_of_the_apps_role_fails_the_settings_check(breakage):
    ((database, role),) = sql("SELECT quote_ident(current_database()), quote_ident(current_user)")
    names = {"database": database, "role": role}
    statement, undo = (text.format(**names) for text in JIT_BREAKAGES[breakage])
    assert not [r for r in deployment_verify() if r.name == "database settings" and not r.ok]
    sql(statement)
    try:
        found = {r.name: r.detail for r in deployment_verify() if not r.ok}
    finally:
        sql(undo)
    assert set(found) == {"database settings"}, found
    assert "a new session: on" in found["database settings"]


@pytest.mark.parametrize("drift", ["followers_count + 1", "followers_count - 1"])
def test_drifted_counts_fail_the_sampled_check_whichever_users_it_draws(people, make_user, drift):
    # docs/OPERATIONS.md recommends --sample for large databases: one drifted user among
    # many must fail it too, not only when the draw happens to include them.
    for _ in range(40):
        make_user()
    drifted = people[1].pk  # followed by two: minus one stays a valid count
    sql(f"UPDATE rr_user SET followers_count = {drift} WHERE id = %s", [drifted])
    for _ in range(5):  # five random draws
        found = failures(sample=1)
        assert set(found) == {"counts"}, found
        assert "the counts' totals differ from rr_network's 2 links" in found["counts"]
    assert "1 of all 43 users have counts that differ" in failures()["counts"]


def test_a_missing_table_fails_its_checks_without_stopping_the_others(people):
    sql("SET CONSTRAINTS ALL IMMEDIATE; DROP TABLE rr_network CASCADE")
    found = failures()
    assert {"network table", "indexes", "network triggers"} <= set(found)
    assert found["network table"] == "table rr_network is missing"
    assert found["counts"].startswith('database error: relation "rr_network" does not exist')
    assert "user columns" not in found


def test_an_endpoint_answering_wrongly_fails_the_endpoint_check(people, settings):
    settings.ROOT_URLCONF = "tests.ops.broken_urls"
    found = failures()
    assert set(found) == {"endpoints"}
    assert "POST /api/network/follow/" in found["endpoints"] and "answered 200, expected 201" in found["endpoints"]


def test_the_command_prints_one_line_per_check(people):
    out = io.StringIO()
    call_command("verify_deployment", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [f"OK    {name}" for name in CHECKS]
    assert lines[-1] == f"All {len(CHECKS)} checks passed."


def test_the_command_exits_nonzero_on_any_failure(people):
    sql("DROP INDEX rr_network_following_idx")
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_deployment", "--sample", "10", stdout=out)
    assert failure.value.returncode == 1
    assert "FAIL  indexes: rr_network_following_idx is missing" in out.getvalue()
    assert "1 check(s) failed: indexes." in str(failure.value)
