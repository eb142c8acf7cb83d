"""What a response looks like: a refusal (an error sentence and nothing it must not carry), the contract's fields."""

import yaml

from tests.support.pg import REPO

SECRETS = {"tokens", "access", "refresh"}


def assert_refused(response, status):
    """`response` has `status`, a JSON error body with a non-empty `error`, and no token in it."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert not SECRETS & set(body), body
    assert set(body) <= {"error", "request_id", "fields", "code", "detail"}, body
    return body


def contract_fields(schema):
    """The fields a response of component `schema` has in the committed contract,
    docs/openapi.yaml (the file the mobile developers read and the breaking-change check guards)."""
    contract = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())
    return set(contract["components"]["schemas"][schema]["properties"])
