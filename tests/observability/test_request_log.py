"""One JSON log line per request, with a request id that the response echoes."""

import re

import pytest

from tests.conftest import client_for

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def request_lines(logs):
    return [line for line in logs() if line["event"] == "request"]


def test_each_request_logs_one_line_with_method_path_status_duration_user_and_id(db, api, json_logs):
    response = api.get("/api/checklists/", HTTP_X_REQUEST_ID="mobile-42.retry_1")

    assert response.status_code == 401
    assert response["X-Request-ID"] == "mobile-42.retry_1"
    [line] = request_lines(json_logs)
    assert {k: line[k] for k in ("level", "logger", "method", "path", "status", "user_id", "request_id")} == {
        "level": "INFO",
        "logger": "rr.request",
        "method": "GET",
        "path": "/api/checklists/",
        "status": 401,
        "user_id": None,
        "request_id": "mobile-42.retry_1",
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["ts"].endswith("+00:00")


def test_the_line_names_the_authenticated_user(user, json_logs):
    response = client_for(user).get("/api/checklists/")
    assert response.status_code == 200
    [line] = request_lines(json_logs)
    assert line["user_id"] == user.pk
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 129, "two words", "line\r\nbreak", 'quote"d', "ünïcode"],
    ids=["empty", "too long", "space", "crlf", "quote", "non-ascii"],
)
def test_an_unusable_request_id_is_replaced_by_a_generated_one(db, api, json_logs, incoming):
    response = api.get("/api/checklists/", HTTP_X_REQUEST_ID=incoming)
    generated = response["X-Request-ID"]
    assert HEX_ID.match(generated)
    assert response.json()["request_id"] == generated
    assert request_lines(json_logs)[0]["request_id"] == generated


def test_every_request_gets_a_different_id(db, api):
    assert api.get("/api/checklists/")["X-Request-ID"] != api.get("/api/checklists/")["X-Request-ID"]


def test_follow_and_unfollow_are_logged_with_the_request_id(make_user, json_logs):
    alice, bob = make_user(), make_user()
    client = client_for(alice)
    client.post(f"/api/network/follow/{bob.username}/", HTTP_X_REQUEST_ID="req-follow")
    client.delete(f"/api/network/unfollow/{bob.username}/", HTTP_X_REQUEST_ID="req-unfollow")

    events = {line["event"]: line for line in json_logs() if line["logger"] == "rr.network"}
    assert {k: events["follow"][k] for k in ("request_id", "follower_id", "following_id")} == {
        "request_id": "req-follow",
        "follower_id": alice.pk,
        "following_id": bob.pk,
    }
    assert {k: events["unfollow"][k] for k in ("request_id", "follower_id", "following_id")} == {
        "request_id": "req-unfollow",
        "follower_id": alice.pk,
        "following_id": bob.pk,
    }
