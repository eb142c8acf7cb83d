"""Every error under /auth/ and /api/ is JSON `{"error": ...}`: no HTML page, no trace."""

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from rr.checklists import selectors as checklist_selectors

from .endpoints import ENDPOINTS, assert_json_error, paths_and_methods, sample_path

pytestmark = pytest.mark.django_db

ALL_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _call(client, method, path, **kwargs):
    return getattr(client, method.lower())(path, **kwargs)


def test_debug_is_off_so_the_json_handlers_answer():
    assert settings.DEBUG is False


@pytest.mark.parametrize(("method", "path"), [key for key, spec in ENDPOINTS.items() if spec["token"]])
def test_every_endpoint_that_needs_a_token_answers_401_without_one(api, method, path):
    response = _call(api, method, sample_path(path))

    assert_json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/nope/",
        "/api/checklists/1/nope/",
        "/api/network/",
        "/auth/",
        "/auth/nope/",
        "/auth/jwt/",
        "/api/checklists/abc/regrets/",
    ],
)
def test_unknown_paths_under_api_and_auth_are_json_404(client, path):
    for method in ("GET", "POST", "DELETE"):
        assert_json_error(_call(client, method, path), 404)


@pytest.mark.parametrize(("path", "allowed"), sorted(paths_and_methods().items()))
def test_a_method_an_endpoint_does_not_serve_is_json_405(client, path, allowed):
    for method in sorted(ALL_METHODS - allowed):
        response = _call(client, method, sample_path(path))
        assert_json_error(response, 405)
        assert set(response["Allow"].replace(" ", "").split(",")) >= allowed


@pytest.mark.parametrize(
    "raw",
    [
        b'{"local_datetime": ',
        b"{'local_datetime': '2025-06-19T01:00:00+08:00'}",
        b'{"local_datetime": NaN}',
        b"\xff\xfe\x00garbage",
        b"[" * 50_000,  # deeper than Python's JSON decoder can recurse
    ],
)
def test_unparseable_bodies_are_json_400(client, raw):
    response = client.generic("POST", "/api/checklists/", raw, content_type="application/json")

    body = assert_json_error(response, 400)
    assert "parse" in body["error"].lower()


@pytest.mark.parametrize("raw", [b"[]", b'["2025-06-19T01:00:00+08:00"]', b'"text"', b"42", b"null", b"true"])
def test_a_body_that_is_not_a_json_object_is_400(client, raw):
    response = client.generic("POST", "/api/checklists/", raw, content_type="application/json")

    assert assert_json_error(response, 400)["error"] == "The body must be a JSON object."


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_is_415(client, content_type):
    response = client.generic("POST", "/api/checklists/", b"local_datetime=now", content_type=content_type)

    assert_json_error(response, 415)


def test_a_body_over_the_size_limit_is_json_413(client, user):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    raw = json.dumps({"local_datetime": "2025-06-19T01:00:00+08:00", "padding": padding}).encode()

    response = client.generic("POST", "/api/checklists/", raw, content_type="application/json")

    assert "too large" in assert_json_error(response, 413)["error"]
    assert not user.checklists.exists()


def test_an_unexpected_error_is_a_bare_json_500(client, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals: SELECT * FROM rr_user")

    monkeypatch.setattr(checklist_selectors, "checklist_list", broken)
    client.raise_request_exception = False

    response = client.get("/api/checklists/")

    body = assert_json_error(response, 500)
    assert "secret" not in response.content.decode()
    assert body["error"] == "Internal server error."


def test_errors_carry_the_request_id(api):
    response = api.get("/api/checklists/", HTTP_X_REQUEST_ID="trace-me-123")

    assert assert_json_error(response, 401)["request_id"] == "trace-me-123"
    assert response["X-Request-ID"] == "trace-me-123"


def test_a_request_for_a_foreign_host_is_a_json_400():
    response = APIClient().get("/api/checklists/", HTTP_HOST="evil.example.com")

    assert_json_error(response, 400)
