"""The contract guard: the served OpenAPI schema is the committed docs/openapi.yaml."""

from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def served_schema():
    response = APIClient().get("/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_served_schema_is_the_committed_one():
    committed = yaml.safe_load(COMMITTED.read_text())

    assert served_schema() == committed, (
        "The API's schema differs from docs/openapi.yaml. If the change is intended (and not breaking: "
        "see docs/API.md), regenerate the file with `make openapi` and commit it."
    )
