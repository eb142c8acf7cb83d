"""The contract guard: the served OpenAPI schema is the committed docs/openapi.yaml."""

import re
from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

from .endpoints import CODE

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


@pytest.fixture(scope="module")
def committed():
    return yaml.safe_load(COMMITTED.read_text())


def test_tags_come_in_the_order_a_client_meets_them(committed):
    assert [tag["name"] for tag in committed["tags"]] == ["accounts", "checklists", "network", "reminders", "health"]
    first_tags = [next(iter(item.values()))["tags"][0] for item in committed["paths"].values()]
    assert first_tags == sorted(first_tags, key=["accounts", "checklists", "network", "reminders", "health"].index)
    assert next(iter(committed["paths"])) == "/auth/user/"


def test_health_is_documented(committed):
    assert set(committed["paths"]["/health/"]["get"]["responses"]) == {"200", "503"}


def _examples(content):
    if "example" in content:
        yield content["example"]
    for example in content.get("examples", {}).values():
        yield example["value"]


def test_every_error_response_shows_a_real_body_with_its_code(committed):
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if int(status) < 400 or path == "/health/":
                    continue
                bodies = list(_examples(content))
                assert bodies, f"{method} {path} {status}"
                for body in bodies:
                    assert body["error"] and CODE.match(body["code"]), (method, path, status, body)
                    assert ("fields" in body) == (status == "400"), (method, path, status, body)


def test_every_local_datetime_example_carries_an_offset_not_z(committed):
    text = COMMITTED.read_text()
    examples = re.findall(r"local_datetime: '?([0-9T:.+-Z]+)'?", text)
    assert examples
    assert all(re.search(r"[+-]\d\d:\d\d$", value) for value in examples), examples


def test_no_placeholder_examples_remain(committed):
    text = COMMITTED.read_text()
    for placeholder in ("additionalProp1", "example: string"):
        assert placeholder not in text


def test_the_schema_is_viewable_in_a_browser_and_as_json():
    browser = APIClient().get("/schema/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    as_json = APIClient().get("/schema/?format=json")
    for_tools = APIClient().get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert browser.status_code == 200 and browser["Content-Type"].startswith("text/plain")
    assert "attachment" not in browser.get("Content-Disposition", "")
    assert as_json["Content-Type"].startswith("application/json") and as_json.json()["openapi"].startswith("3.")
    assert for_tools["Content-Type"].startswith("application/vnd.oai.openapi")


def _json_schema(node, components):
    """An OpenAPI 3.0 schema as JSON Schema: references inlined, `nullable` as a null
    alternative, exclusive bounds as numbers, and no property beyond those documented (an example with a stale or
    invented field fails)."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    converted = {key: _json_schema(value, components) for key, value in node.items() if key != "nullable"}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):  # OpenAPI 3.0's flag; JSON Schema's is the bound itself
            del converted[bound]
            if node[bound]:
                converted[bound] = converted.pop(limit)
    if "properties" in node and "additionalProperties" not in node:
        converted["additionalProperties"] = False
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


# Operations whose success answer has no example; every other 2xx JSON answer must show one.
# The export's schema documents only its `account` (rr/export/selectors.py returns more), so
# no true example of it would pass the check below.
SUCCESS_WITHOUT_EXAMPLE = {"account_export"}


def test_every_example_is_a_body_the_schema_allows(committed):
    from jsonschema import Draft7Validator

    components = committed["components"]["schemas"]
    problems, missing = [], []
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            parts = [("request", operation.get("requestBody", {}))]
            parts += [(status, response) for status, response in operation["responses"].items()]
            for part, described in parts:
                content = described.get("content", {}).get("application/json")
                if content is None or "schema" not in content:
                    continue
                bodies = list(_examples(content))
                if not bodies and part != "request" and int(part) < 300:
                    missing.append(operation["operationId"])
                validator = Draft7Validator(_json_schema(content["schema"], components))
                for body in bodies:
                    problems += [f"{method} {path} {part}: {error.message}" for error in validator.iter_errors(body)]

    assert problems == []
    assert set(missing) == SUCCESS_WITHOUT_EXAMPLE
