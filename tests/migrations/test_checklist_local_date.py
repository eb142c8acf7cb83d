"""0008 adds rr_checklist.local_date and utc_offset_minutes on the live table: catalog
only, bounded lock waits, the previous release's writes unchanged, and a way back."""

import pytest

from tests.support import pg

BEFORE = "0007_accounts_sessions"
MIGRATION = "0008_checklist_local_date"
COLUMNS = "SELECT column_name FROM information_schema.columns WHERE table_name = 'rr_checklist' ORDER BY 1"
LEGACY_ROWS = "SELECT md5(string_agg(concat_ws(',', id, user_id, created_at, score, completed), ';' ORDER BY id))"
LEGACY_ROWS += " FROM rr_checklist"
# What the previous release's ORM sends when it creates a checklist: the legacy columns only.
LEGACY_CHECKLIST = (
    "INSERT INTO rr_checklist (created_at, score, completed, user_id) VALUES (now(), 1, false, 1)"
    " RETURNING local_date, utc_offset_minutes"
)


@pytest.fixture
def before_0008(upgraded_legacy):
    """A copy of the upgraded legacy database taken back to just before 0008."""
    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")
    return upgraded_legacy


def _state(name):
    with pg.connect(name) as conn:
        return {
            "columns": [row[0] for row in conn.execute(COLUMNS)],
            "file": conn.execute("SELECT pg_relation_filenode('rr_checklist')").fetchone()[0],
            "rows": conn.execute(LEGACY_ROWS).fetchone()[0],
        }


def test_0008_adds_two_nullable_columns_without_rewriting_the_table(before_0008):
    before = _state(before_0008)

    pg.manage(before_0008, "migrate", "rr", MIGRATION, "--noinput")

    after = _state(before_0008)
    assert set(after["columns"]) - set(before["columns"]) == {"local_date", "utc_offset_minutes"}
    assert after["file"] == before["file"]  # same relation file: no rewrite, the lock was catalog only
    assert after["rows"] == before["rows"]
    with pg.connect(before_0008) as conn:
        assert conn.execute("SELECT count(*) FROM rr_checklist WHERE local_date IS NOT NULL").fetchone() == (0,)


def test_the_previous_release_still_inserts_checklists(upgraded_legacy):
    with pg.connect(upgraded_legacy, autocommit=False) as conn:
        assert conn.execute(LEGACY_CHECKLIST).fetchone() == (None, None)
        conn.rollback()


def test_rollback_drops_the_columns_and_keeps_every_row(upgraded_legacy):
    before = _state(upgraded_legacy)

    pg.manage(upgraded_legacy, "migrate", "rr", BEFORE, "--noinput")

    after = _state(upgraded_legacy)
    assert set(before["columns"]) - set(after["columns"]) == {"local_date", "utc_offset_minutes"}
    assert after["rows"] == before["rows"]
    assert pg.fingerprint(upgraded_legacy) == pg.LEGACY_FINGERPRINT
    pg.manage(upgraded_legacy, "migrate", "--noinput")
    assert set(_state(upgraded_legacy)["columns"]) == set(before["columns"])


def test_a_long_transaction_makes_0008_give_up_instead_of_blocking_traffic(before_0008):
    # A reader holds ACCESS SHARE on rr_checklist; the ALTER queues behind it, and every
    # query after the ALTER would queue behind the ALTER. lock_timeout ends that queue.
    with pg.connect(before_0008, autocommit=False) as reader:
        reader.execute("SELECT count(*) FROM rr_checklist").fetchone()
        failed = pg.manage(before_0008, "migrate", "rr", MIGRATION, "--noinput", check=False)
        # Traffic was never stuck for long: the reader's own transaction still works.
        reader.execute("SELECT 1").fetchone()
        reader.rollback()

    assert failed.returncode != 0
    assert "lock timeout" in failed.stderr
    assert "local_date" not in _state(before_0008)["columns"]
    pg.manage(before_0008, "migrate", "rr", MIGRATION, "--noinput")
    assert "local_date" in _state(before_0008)["columns"]
