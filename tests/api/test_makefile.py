"""`make run` installs what serving needs (requirements.txt), not the development set."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target, tmp_path):
    # A venv path that does not exist, so make lists every install step it would take.
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_make_run_installs_only_the_runtime_requirements(tmp_path):
    steps = _dry_run("run", tmp_path)

    assert "-r requirements.txt" in steps
    assert "requirements-dev.txt" not in steps


def test_make_test_installs_the_development_set(tmp_path):
    assert "-r requirements-dev.txt" in _dry_run("test", tmp_path)
