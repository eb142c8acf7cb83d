"""Run bin/backup and bin/restore as an operator would (helpers for the ops tests)."""

import os
import subprocess

from tests.support import pg

BIN = pg.REPO / "bin"


def run(script, *args, database_url=None):
    env = {**os.environ}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([str(BIN / script), *args], env=env, capture_output=True, text=True, timeout=300)


def backup(name, directory):
    """bin/backup of database `name` into `directory`; returns the archive's path."""
    result = run("backup", str(directory), database_url=pg.database_url(name))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def restore(archive, name):
    return run("restore", archive, pg.database_url(name))


def migrations(name):
    return sorted(pg.applied_migrations(name))
