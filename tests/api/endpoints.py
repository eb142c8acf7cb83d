"""Every endpoint under /auth/ and /api/, as the OpenAPI schema names it, and what a JSON error looks like."""

import json
import re

# (method, path as in the schema): does it need an access token, does it read a body.
ENDPOINTS = {
    ("POST", "/auth/user/"): {"token": False, "body": True},
    ("GET", "/auth/user/"): {"token": True, "body": False},
    ("DELETE", "/auth/user/"): {"token": True, "body": True},
    ("GET", "/auth/user/export/"): {"token": True, "body": False},
    ("POST", "/auth/recover/"): {"token": False, "body": True},
    ("GET", "/auth/sessions/"): {"token": True, "body": False},
    ("DELETE", "/auth/sessions/{session_id}/"): {"token": True, "body": False},
    ("POST", "/auth/logout-all/"): {"token": True, "body": False},
    ("POST", "/auth/password/"): {"token": True, "body": True},
    ("POST", "/auth/jwt/refresh/"): {"token": False, "body": True},
    ("POST", "/auth/logout/"): {"token": False, "body": True},
    ("GET", "/api/checklists/"): {"token": True, "body": False},
    ("POST", "/api/checklists/"): {"token": True, "body": True},
    ("GET", "/api/checklists/{checklist_id}/"): {"token": True, "body": False},
    ("GET", "/api/checklists/{checklist_id}/regrets/"): {"token": True, "body": False},
    ("POST", "/api/checklists/{checklist_id}/regrets/"): {"token": True, "body": True},
    ("PATCH", "/api/checklists/{checklist_id}/regrets/{regret_id}/"): {"token": True, "body": True},
    ("PUT", "/api/checklists/{checklist_id}/regrets/{regret_id}/"): {"token": True, "body": True},
    ("GET", "/api/network/validate/{username}/"): {"token": True, "body": False},
    ("POST", "/api/network/follow/{username}/"): {"token": True, "body": False},
    ("DELETE", "/api/network/unfollow/{username}/"): {"token": True, "body": False},
    ("DELETE", "/api/network/followers/{username}/"): {"token": True, "body": False},
    ("GET", "/api/network/list/{list_type}/"): {"token": True, "body": False},
    ("GET", "/api/network/settings/"): {"token": True, "body": False},
    ("PATCH", "/api/network/settings/"): {"token": True, "body": True},
    # History, nudges, follow requests and blocks (docs/NETWORK.md, docs/STREAKS.md)
    ("GET", "/api/checklists/history/"): {"token": True, "body": False},
    ("POST", "/api/network/nudges/{username}/"): {"token": True, "body": False},
    ("GET", "/api/nudges/"): {"token": True, "body": False},
    ("POST", "/api/nudges/read/"): {"token": True, "body": False},
    ("GET", "/api/network/requests/incoming/"): {"token": True, "body": False},
    ("GET", "/api/network/requests/outgoing/"): {"token": True, "body": False},
    ("POST", "/api/network/requests/{request_id}/accept/"): {"token": True, "body": False},
    ("DELETE", "/api/network/requests/{request_id}/"): {"token": True, "body": False},
    ("GET", "/api/network/blocks/"): {"token": True, "body": False},
    ("POST", "/api/network/blocks/{username}/"): {"token": True, "body": False},
    ("DELETE", "/api/network/blocks/{username}/"): {"token": True, "body": False},
    # Reminders and Web Push
    ("GET", "/api/reminders/"): {"token": True, "body": False},
    ("PATCH", "/api/reminders/"): {"token": True, "body": True},
    ("GET", "/api/push/key/"): {"token": True, "body": False},
    ("POST", "/api/push/subscriptions/"): {"token": True, "body": True},
    ("DELETE", "/api/push/subscriptions/"): {"token": True, "body": True},
    # The daily loop
    ("DELETE", "/api/checklists/{checklist_id}/regrets/{regret_id}/"): {"token": True, "body": False},
    ("GET", "/api/routine/"): {"token": True, "body": False},
    ("POST", "/api/routine/"): {"token": True, "body": True},
    ("PUT", "/api/routine/"): {"token": True, "body": True},
    ("PATCH", "/api/routine/{item_id}/"): {"token": True, "body": True},
    ("DELETE", "/api/routine/{item_id}/"): {"token": True, "body": False},
    ("GET", "/api/inbox/"): {"token": True, "body": False},
}

# Placeholder values that reach a real view (the resources need not exist).
SAMPLE_ARGS = {
    "session_id": "1",
    "checklist_id": "1",
    "regret_id": "1",
    "username": "somebody",
    "list_type": "following",
    "direction": "incoming",
    "request_id": "1",
    "item_id": "1",
}


def sample_path(path):
    return path.format(**SAMPLE_ARGS)


def paths_and_methods():
    """path -> the methods it answers."""
    allowed = {}
    for method, path in ENDPOINTS:
        allowed.setdefault(path, set()).add(method)
    return allowed


CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def assert_json_error(response, status, code=None):
    """A JSON `{"error": "<sentence>", "code": "<snake_case>"}` with the status (`fields` on
    every 400), and nothing a client should not see. `code`, when given, must match."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    text = response.content.decode()
    body = json.loads(text)
    assert isinstance(body, dict)
    assert isinstance(body.get("error"), str) and body["error"].strip()
    assert isinstance(body.get("code"), str) and CODE.match(body["code"]), body
    if code is not None:
        assert body["code"] == code, body
    if status == 400:
        assert isinstance(body.get("fields"), dict), body
    for leak in ("Traceback", 'File "', "<html", "<!DOCTYPE", "psycopg", "SELECT ", "rr_user"):
        assert leak not in text, leak
    return body
