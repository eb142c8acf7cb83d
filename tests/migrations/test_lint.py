"""tools.lint_migrations fails on unsafe migration SQL and passes on the real migrations."""

import os
import subprocess
import sys

from tests.support import pg
from tools import lint_migrations

# What an unsafe 0006 could print through sqlmigrate.
UNSAFE = {
    # A required column: NOT NULL without a default fails on existing rows or rewrites them.
    "adding-required-field": 'ALTER TABLE "rr_user" ADD COLUMN "x" integer NOT NULL CHECK ("x" > 0);',
    # Blocks every write to rr_user for the whole index build.
    "require-concurrent-index-creation": 'CREATE INDEX "rr_user_x" ON "rr_user" ("date_joined");',
    # PositiveIntegerField with a db_default: squawk misses the inline CHECK, our rule doesn't.
    "add-column-inline-check": ('ALTER TABLE "rr_user" ADD COLUMN "y" bigint DEFAULT 0 NOT NULL CHECK ("y" >= 0);'),
}
TIMEOUTS = "SET LOCAL lock_timeout = '3s';\nSET LOCAL statement_timeout = '5s';\n"


def as_migration(statement):
    return f"BEGIN;\n{TIMEOUTS}{statement}\nCOMMIT;\n"


def run_linter(*args):
    return subprocess.run(
        [sys.executable, "-m", "tools.lint_migrations", *args],
        cwd=pg.REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": pg.configured_url()},
    )


def test_each_unsafe_statement_is_reported_by_its_rule():
    for rule, statement in UNSAFE.items():
        problems, _ = lint_migrations.lint({"0006_unsafe": as_migration(statement)})
        assert any(f": {rule}:" in problem for problem in problems), (rule, problems)


def test_safe_equivalents_pass():
    safe = (
        'ALTER TABLE "rr_user" ADD COLUMN "y" bigint DEFAULT 0 NOT NULL;\n'
        'ALTER TABLE "rr_user" ADD CONSTRAINT "y_gte_0" CHECK ("y" >= 0) NOT VALID;\n'
        'CREATE TABLE "rr_new" ("id" bigint NOT NULL PRIMARY KEY, "n" bigint NOT NULL CHECK ("n" >= 0));'
    )
    assert lint_migrations.lint({"0006_safe": as_migration(safe)}) == ([], [])


def test_linter_exits_non_zero_naming_migration_and_rule(tmp_path):
    unsafe = tmp_path / "0006_unsafe.sql"
    unsafe.write_text(as_migration(UNSAFE["require-concurrent-index-creation"]))
    result = run_linter(str(unsafe))
    assert result.returncode == 1
    assert "rr/0006_unsafe line 4: require-concurrent-index-creation" in result.stderr


def test_real_migrations_pass_and_legacy_ones_are_left_out():
    result = run_linter()
    assert result.returncode == 0, result.stderr
    assert (
        "0004_networking, 0005_validate_user_count_constraints, 0006_user_username_upper_idx,"
        " 0007_accounts_sessions, 0008_checklist_local_date, 0009_social, 0010_validate_user_daily_goal,"
        " 0011_database_jit_off, 0012_checklist_user_days_idx, 0013_user_days, 0014_user_fks_cascade,"
        " 0015_validate_user_fks_cascade, 0016_notifications,"
        " 0017_regret_client_id, 0018_routine, 0019_reminder_follows_offset clean" in result.stdout
    )
    assert "0001_initial" not in result.stdout + result.stderr
