"""What a refusal looks like, beyond its status: an error sentence and nothing it must not carry."""

SECRETS = {"tokens", "access", "refresh"}


def assert_refused(response, status):
    """`response` has `status`, a JSON error body with a non-empty `error`, and no token in it."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert not SECRETS & set(body), body
    assert set(body) <= {"error", "request_id", "fields", "code", "detail"}, body
    return body
