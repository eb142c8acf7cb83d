"""docs/OPERATIONS.md followed end to end on the legacy snapshot, in separate processes.

backup -> migrate -> dry-run -> repair -> fill the summary of days -> verify -> rollback (migrate rr 0003) -> restore,
with the legacy fingerprint checked at every point.
"""

import pytest

from tests.ops.backup import backup, migrations, restore
from tests.support import pg

pytestmark = pytest.mark.slow

DRIFTED = 7


def test_the_runbook_on_the_legacy_snapshot(tmp_path):
    with pg.scratch_database("ops_runbook") as live, pg.scratch_database("ops_runbook_restored") as restored:
        pg.load_snapshot(live)
        legacy_schema, legacy_migrations = pg.schema_dump(live), migrations(live)
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT

        # 1. Back up.
        archive = backup(live, tmp_path)

        # 2. Deploy the migrations.
        pg.manage(live, "migrate", "--noinput")
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT
        # Drift for the repair to find, as a bulk load with the triggers off would leave it.
        pg.psql(live, "-c", f"UPDATE rr_user SET followers_count = 2 WHERE id IN "
                            f"(SELECT id FROM rr_user ORDER BY id LIMIT {DRIFTED})")  # fmt: skip

        # 3. Dry run: reports, writes nothing (--check says so by its exit status too).
        dry = pg.manage(live, "initialize_network_counts", "--dry-run")
        assert f"Users checked: 256. Users whose counts differ: {DRIFTED}." in dry.stdout
        assert pg.manage(live, "initialize_network_counts", "--check", check=False).returncode == 1

        # 4. Repair, then a second run changes nothing.
        assert f"Users changed: {DRIFTED}." in pg.manage(live, "initialize_network_counts").stdout
        assert "Users changed: 0." in pg.manage(live, "initialize_network_counts").stdout
        assert pg.manage(live, "initialize_network_counts", "--check", check=False).returncode == 0
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT

        # 5. Fill the summary of days (migration 0013): the legacy users' days, then nothing left.
        with pg.connect(live) as conn:
            with_days = conn.execute("SELECT count(DISTINCT user_id) FROM rr_checklist").fetchone()[0]
        assert with_days > 0
        dry = pg.manage(live, "initialize_user_days", "--dry-run").stdout
        assert "Users checked: 256 (last id" in dry and f"Users whose row differs: {with_days}." in dry
        assert f"Rows written: {with_days}." in pg.manage(live, "initialize_user_days").stdout
        assert pg.manage(live, "initialize_user_days", "--check", check=False).returncode == 0
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT

        # 6. Verify.
        verified = pg.manage(live, "verify_deployment")
        assert len([line for line in verified.stdout.splitlines() if line.startswith("OK  ")]) == 13
        assert "All 13 checks passed." in verified.stdout
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT

        # Rollback of the schema: every legacy row intact, verify now fails as it should.
        pg.manage(live, "migrate", "rr", "0003", "--noinput")
        assert pg.fingerprint(live) == pg.LEGACY_FINGERPRINT
        failed = pg.manage(live, "verify_deployment", check=False)
        assert failed.returncode == 1
        assert "FAIL  user columns: allow_networking is missing" in failed.stdout
        unapplied = "rr.0004_networking, rr.0005_validate_user_count_constraints"
        assert f"FAIL  migrations: unapplied: {unapplied}," in failed.stdout

        # Last resort: the backup restored into a new database is the legacy database again.
        pg.drop_database(restored)
        result = restore(archive, restored)
        assert result.returncode == 0, result.stderr
        assert pg.fingerprint(restored) == pg.LEGACY_FINGERPRINT
        assert pg.schema_dump(restored) == legacy_schema
        assert migrations(restored) == legacy_migrations
