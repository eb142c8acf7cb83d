"""bin/backup and bin/restore: a timestamped pg_dump archive, restored into a new database."""

import re
from pathlib import Path

import pytest

from tests.ops.backup import backup, migrations, restore, run
from tests.support import pg

pytestmark = pytest.mark.slow


def test_a_backup_of_the_upgraded_snapshot_restores_elsewhere_identical(tmp_path):
    with pg.scratch_database("ops_backup_src") as source, pg.scratch_database("ops_backup_dst") as target:
        pg.load_snapshot(source)
        pg.manage(source, "migrate", "--noinput")
        pg.drop_database(target)  # bin/restore creates it

        archive = backup(source, tmp_path / "backups")

        assert re.fullmatch(rf"{tmp_path}/backups/{source}-\d{{8}}T\d{{6}}Z\.dump", archive)
        assert [p.name for p in Path(archive).parent.iterdir()] == [Path(archive).name]  # no .partial left
        result = restore(archive, target)
        assert result.returncode == 0, result.stderr
        assert pg.fingerprint(target) == pg.fingerprint(source) == pg.LEGACY_FINGERPRINT
        assert pg.schema_dump(target) == pg.schema_dump(source)
        assert migrations(target) == migrations(source)

        # Restoring over a database that holds tables is refused and changes nothing.
        again = restore(archive, target)
        assert again.returncode == 1
        assert "is not empty" in again.stderr
        assert pg.fingerprint(target) == pg.LEGACY_FINGERPRINT


def test_backup_needs_a_database_url(tmp_path):
    result = run("backup", str(tmp_path), database_url="")
    assert result.returncode != 0
    assert "DATABASE_URL must name the database" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_an_unreadable_archive(tmp_path):
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("not an archive")
    result = restore(str(bogus), pg.scratch_name("ops_never_created"))
    assert result.returncode != 0
    assert not pg.database_exists(pg.scratch_name("ops_never_created"))
