"""Migrations already applied in production emit exactly the SQL they emitted when applied.

tests/migrations/sqlmigrate/ holds `manage.py sqlmigrate rr <migration>` (and
`--backwards`, the rollback) of 0001-0006 on PostgreSQL, as committed before the
migrations were rewritten onto Django's own operations, and of 0013 (the summary of
days and its triggers), 0014-0015 (the foreign keys' cascade), 0018 (the routine) and 0019 (the reminder's
offset trigger) as written when they landed. Refactoring a migration file
is fine; changing what it sends to the live database is not. Only sqlmigrate's
`--` comment lines (the operations' descriptions, never sent) are left out.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

SNAPSHOTS = Path(__file__).parent / "sqlmigrate"
APPLIED = [
    "0001_initial",
    "0002_checklist_rr_checklis_user_id_f9470d_idx",
    "0003_alter_checklist_score",
    "0004_networking",
    "0005_validate_user_count_constraints",
    "0006_user_username_upper_idx",
    "0013_user_days",
    "0014_user_fks_cascade",
    "0015_validate_user_fks_cascade",
    "0018_routine",
    "0019_reminder_follows_offset",
]


def _statements(sql):
    return [line for line in sql.splitlines() if line.strip() and not line.startswith("--")]


def _sqlmigrate(name, *options):
    out = StringIO()
    call_command("sqlmigrate", "rr", name, *options, stdout=out)
    return out.getvalue()


def test_every_applied_migration_has_its_snapshot():
    assert sorted(path.name for path in SNAPSHOTS.glob("*.sql")) == sorted(
        [f"{name}.sql" for name in APPLIED] + [f"{name}.backwards.sql" for name in APPLIED]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("name", APPLIED)
def test_applied_migration_sql_is_unchanged(name, backwards):
    snapshot = SNAPSHOTS / f"{name}{'.backwards' if backwards else ''}.sql"
    emitted = _sqlmigrate(name, *(["--backwards"] if backwards else []))

    assert _statements(emitted) == _statements(snapshot.read_text())
