from pathlib import Path

import pytest

from tests.hardening.conftest import live_server_factory  # noqa: F401 -- the gunicorn fixture, shared

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"


@pytest.fixture(scope="session")
def client_dir():
    """clients/typescript, installed and built by `make client` (a prerequisite of make test)."""
    if not (CLIENT / "node_modules" / ".bin" / "openapi-diff").exists() or not (CLIENT / "dist" / "smoke.js").exists():
        pytest.fail("clients/typescript is not built: run `make client` (make test does)")
    return CLIENT
