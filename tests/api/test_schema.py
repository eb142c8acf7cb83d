"""The OpenAPI schema at /schema/ and Swagger UI at /docs/."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from .endpoints import ENDPOINTS

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


# Answered by rr.common.health's middleware ahead of everything (no token, any method), and
# documented for Swagger by rr/common/openapi.py; its body is the health report.
HEALTH = "/health/"


def _operations(schema):
    for path, item in schema["paths"].items():
        if path == HEALTH:
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _error_ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_schema_is_served_without_a_token_and_is_valid_openapi(schema):
    validate_schema(schema)
    assert schema["info"]["title"] == "Regret Regret API"


def test_schema_is_also_served_as_json(api):
    response = api.get("/schema/?format=json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_schema_generation_has_no_warnings(tmp_path):
    # --fail-on-warn turns drf-spectacular's guesses (unknown types, missing serializers) into errors.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_docs_page_is_served_and_points_at_the_schema(api, plain_static_storage):
    response = api.get("/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    # Its start-up script is a file of its own (no inline script under the Content-Security-Policy).
    assert '<script src="/docs/?script="></script>' in page and "<script>" not in page and "<style" not in page
    script = api.get("/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/schema/" in script.content.decode()
    # Swagger UI comes from our own static files (drf-spectacular-sidecar), not a CDN.
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr" not in page


def test_schema_lists_exactly_the_known_endpoints(schema):
    # A new endpoint must join tests/api/endpoints.py, and so the error and bad-input tables.
    assert {(method, path) for method, path, _ in _operations(schema)} == set(ENDPOINTS)


def test_every_operation_documents_its_error_responses(schema):
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        codes = {int(code) for code in responses}
        where = f"{method} {path}"
        assert any(200 <= code < 300 for code in codes), where
        assert all(_error_ref(responses[str(code)]) == "#/components/schemas/Error" for code in codes if code >= 400), (
            where
        )
        if ENDPOINTS[(method, path)]["token"]:
            assert 401 in codes, where
        if "requestBody" in operation:
            assert 400 in codes, where
        if "{checklist_id}" in path or "{username}" in path:
            assert 404 in codes, where
        assert operation.get("summary"), where


def test_the_error_shape_is_documented(schema):
    error = schema["components"]["schemas"]["Error"]

    assert sorted(error["required"]) == ["code", "error"]
    assert error["properties"]["error"]["type"] == "string"
    assert error["properties"]["code"]["type"] == "string"
    assert "fields" in error["properties"]


def test_every_api_operation_requires_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    for method, path, operation in _operations(schema):
        if ENDPOINTS[(method, path)]["token"]:
            assert operation["security"] == [{"jwtAuth": []}], f"{method} {path}"


def test_path_ids_are_integers_with_the_bounds_the_paths_accept(schema):
    # The ids of the responses are integers; the ids in paths are the same values, so a
    # generated client takes a number. The bounds are exactly what IdConverter's regex
    # accepts (1 to 18 digits), no narrower: a value the schema allows is never refused.
    from rr.common.converters import IdConverter

    assert IdConverter.regex == "[0-9]{1,18}"
    ids = [
        (path, parameter)
        for path, item in schema["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"].endswith("_id")
    ]
    assert {path for path, _ in ids} >= {
        "/auth/sessions/{session_id}/",
        "/api/checklists/{checklist_id}/regrets/{regret_id}/",
        "/api/network/requests/{request_id}/accept/",
    }
    for path, parameter in ids:
        assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}, (path, parameter)
