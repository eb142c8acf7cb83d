"""An unexpected exception: a bare JSON 500 for the client, the full trace in the log."""

import pytest
from django.test import Client

from tests.observability.urls import SECRET

pytestmark = pytest.mark.urls("tests.observability.urls")


def _assert_bare_500(response):
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    request_id = response["X-Request-ID"]
    assert response.json() == {"error": "Internal server error.", "code": "server_error", "request_id": request_id}
    for leak in (SECRET, "hunter2", "Traceback", "RuntimeError", "KeyError", "ValueError", 'File "'):
        assert leak not in response.content.decode()
    return request_id


def _assert_trace_logged(logs, request_id, exception, path):
    errors = [line for line in logs() if line["logger"] == "django.request"]
    assert len(errors) == 1
    [error] = errors
    assert error["level"] == "ERROR"
    assert error["request_id"] == request_id
    assert error["path"] == path and error["method"] == "GET"
    assert error["exc"].startswith("Traceback (most recent call last):")
    assert f"{exception}: " in error["exc"] and "hunter2" in error["exc"]
    [line] = [line for line in logs() if line["event"] == "request"]
    assert (line["status"], line["level"], line["request_id"]) == (500, "ERROR", request_id)


@pytest.mark.parametrize(
    "path, exception", [("/boom/", "RuntimeError"), ("/api/boom/", "KeyError")], ids=["django view", "DRF view"]
)
def test_a_view_raising_answers_500_json_without_trace_and_logs_the_trace(db, json_logs, path, exception):
    response = Client(raise_request_exception=False).get(path, HTTP_X_REQUEST_ID="req-500")
    assert _assert_bare_500(response) == "req-500"
    _assert_trace_logged(json_logs, "req-500", exception, path)


def test_a_middleware_raising_is_logged_with_its_trace_too(db, json_logs, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.observability.urls.ExplodingMiddleware"]
    response = Client(raise_request_exception=False).get("/middleware-boom/")
    request_id = _assert_bare_500(response)
    _assert_trace_logged(json_logs, request_id, "ValueError", "/middleware-boom/")


def test_client_errors_add_no_error_line(db, json_logs):
    assert Client().get("/api/checklists/").status_code == 401
    assert Client().get("/nowhere/").status_code == 404
    assert not [line for line in json_logs() if line["level"] == "ERROR"]
