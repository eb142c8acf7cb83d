"""No breaking change against the schema of the release in users' hands (docs/openapi-baseline.yaml).

openapi-diff (pinned in clients/typescript/package.json) classifies every difference
between two OpenAPI documents; it exits 1 when any is breaking: a removed path or method,
a request that used to be valid and is not any more (a new required field, a narrowed
type or enum), a response that may now hold what it could not (a removed or retyped field).
openapi-diff does not compare path parameters' schemas, so removed enum values are
checked here too (`removed_enum_values`): a client may send or expect any value it was given;
and so is every path parameter's schema (`path_parameter_changes`).
The mutations below show each kind is caught, so the real check cannot pass vacuously.
"""

import copy
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "docs" / "openapi-baseline.yaml"
CURRENT = ROOT / "docs" / "openapi.yaml"


def _diff(client_dir, old, new):
    """openapi-diff's verdict: (exit status, its report's text)."""
    # Into a file, not a pipe: node exits before a pipe has taken a long report (64 KiB cut).
    with tempfile.TemporaryFile(mode="w+") as out:
        result = subprocess.run(
            [str(client_dir / "node_modules" / ".bin" / "openapi-diff"), str(old), str(new)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        out.seek(0)
        return result.returncode, out.read()


def removed_enum_values(old, new, where=""):
    """Every enum value of `old` missing at the same place in `new`, as (where, values)."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        if isinstance(old.get("enum"), list) and isinstance(new.get("enum"), list):
            missing = [value for value in old["enum"] if value not in new["enum"]]
            found += [(where, missing)] if missing else []
        for key in old.keys() & new.keys():
            found += removed_enum_values(old[key], new[key], f"{where}/{key}")
        return found
    if isinstance(old, list) and isinstance(new, list):
        return [item for pair in zip(old, new, strict=False) for item in removed_enum_values(*pair, where)]
    return []


# Differences openapi-diff calls breaking that were reviewed against the shipped client and are
# not: (code, location) -> why. Each must still be reported (a stale entry fails the test).
REVIEWED = {
    (
        "request.body.scope.remove",
        "paths./api/network/settings/.patch.requestBody.content.application/json.schema",
    ): "PATCH settings/ gained optional follow_approval and daily_goal (0..1). JSON Schema reads the "
    "range as narrowing what was an ignored extra key; the shipped client never sends daily_goal.",
    (
        "request.body.scope.remove",
        "paths./api/checklists/{checklist_id}/regrets/.post.requestBody.content.application/json.schema",
    ): "POST regrets/ gained an optional client_id (a UUID string, the idempotency key of docs/API.md). "
    "JSON Schema reads its type as narrowing what was an ignored extra key; the shipped client never sends it.",
    **{
        (
            "request.body.scope.remove",
            f"paths./api/checklists/{{checklist_id}}/regrets/{{regret_id}}/.{method}.requestBody.content"
            ".application/json.schema",
        ): "The regret PATCH/PUT gained an optional `description` (1-255 characters, a rewording) and no longer"
        " requires `success` (false now unticks: docs/API.md's changelog). JSON Schema reads the new field's"
        " length as narrowing what was an ignored extra key; every body the shipped client sends ({success: true})"
        " is still valid and answered as before."
        for method in ("patch", "put")
    },
}


# openapi-diff does not compare path parameters' schemas: they are compared here. A path
# parameter may only change to a schema that accepts the same path segments. The one such
# change so far: ids, published by drf-spectacular as strings of 1-18 digits, are integers
# from 0 to 10**18 - 1 (config/settings.py, PATH_CONVERTER_OVERRIDES), the same URLs on the
# wire. A client compiled from the schema (clients/typescript) passes a number instead of a
# string there: its source changes, not what it sends.
SAME_SEGMENTS = [
    ({"type": "string", "pattern": "^[0-9]{1,18}$"}, {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}),
]


def path_parameter_changes(old, new):
    """Path parameters present in both documents whose schema differs and is not listed in
    SAME_SEGMENTS: {(path, method, name): (old schema, new schema)}."""

    def parameters(schema):
        return {
            (path, method, parameter["name"]): parameter.get("schema")
            for path, item in schema["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict)
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "path"
        }

    before, after = parameters(old), parameters(new)
    return {
        key: (before[key], after[key])
        for key in before.keys() & after.keys()
        if before[key] != after[key] and (before[key], after[key]) not in SAME_SEGMENTS
    }


def _breaking_differences(text):
    """openapi-diff's breaking differences as (code, location) pairs, from its JSON report."""
    report, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
    return {
        (difference["code"], detail["location"])
        for difference in report.get("breakingDifferences", [])
        for detail in difference.get("destinationSpecEntityDetails") or difference.get("sourceSpecEntityDetails")
    }


def _breaking(client_dir, old_path, new_path):
    status, text = _diff(client_dir, old_path, new_path)
    old, new = yaml.safe_load(old_path.read_text()), yaml.safe_load(new_path.read_text())
    enums = removed_enum_values(old, new)
    parameters = path_parameter_changes(old, new)
    return status != 0 or bool(enums) or bool(parameters), text, enums, parameters


def test_the_current_schema_does_not_break_the_released_one(client_dir):
    broken, text, enums, parameters = _breaking(client_dir, BASELINE, CURRENT)

    assert not enums, f"Enum values removed against docs/openapi-baseline.yaml: {enums}"
    assert not parameters, f"Path parameters retyped against docs/openapi-baseline.yaml: {parameters}"
    if broken:
        found = _breaking_differences(text)
        assert found - REVIEWED.keys() == set(), f"Breaking change(s) against the baseline: {text[:5000]}"
        assert REVIEWED.keys() <= found, f"A reviewed difference is no longer reported: {REVIEWED.keys() - found}"
    else:
        assert not REVIEWED, "Reviewed differences listed but openapi-diff reports none: remove them"


def _remove_path(schema):
    del schema["paths"]["/api/network/settings/"]


def _require_new_request_field(schema):
    body = schema["components"]["schemas"]["ChecklistForDayInputRequest"]
    body["properties"]["time_zone"] = {"type": "string"}
    body["required"].append("time_zone")


def _retype_response_field(schema):
    schema["components"]["schemas"]["Checklist"]["properties"]["score"] = {"type": "string"}


def _remove_response_field(schema):
    schema["components"]["schemas"]["NetworkList"]["properties"].pop("count")
    schema["components"]["schemas"]["NetworkList"]["required"].remove("count")


def _remove_enum_value(schema):
    schema["components"]["schemas"]["ListTypeEnum"]["enum"].remove("followers")


def _retype_path_parameter(schema):
    for operation in schema["paths"]["/api/network/follow/{username}/"].values():
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "username":
                parameter["schema"] = {"type": "integer"}


def _narrow_path_id(schema):
    for parameter in schema["paths"]["/api/checklists/{checklist_id}/"]["get"]["parameters"]:
        if parameter["name"] == "checklist_id":
            parameter["schema"] = {**parameter["schema"], "minimum": 1}


def _remove_method(schema):
    del schema["paths"]["/api/checklists/{checklist_id}/regrets/{regret_id}/"]["put"]


@pytest.mark.parametrize(
    "mutate",
    [
        _remove_path,
        _remove_method,
        _require_new_request_field,
        _retype_response_field,
        _remove_response_field,
        _remove_enum_value,
        _retype_path_parameter,
        _narrow_path_id,
    ],
)
def test_the_check_catches_each_kind_of_breaking_change(client_dir, tmp_path, mutate):
    broken = copy.deepcopy(yaml.safe_load(CURRENT.read_text()))
    mutate(broken)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))

    # _breaking's verdict: openapi-diff's exit status, or either check of our own. When one of
    # ours catches the change the verdict is true whatever openapi-diff says, so its node run
    # (many seconds) is left out; otherwise openapi-diff alone must catch it.
    old, new = yaml.safe_load(CURRENT.read_text()), yaml.safe_load(path.read_text())
    assert removed_enum_values(old, new) or path_parameter_changes(old, new) or _diff(client_dir, CURRENT, path)[0] != 0
