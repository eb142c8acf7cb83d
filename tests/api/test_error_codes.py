"""Every error names a stable `code` a client can branch on; 400s list their `fields`."""

import time
from datetime import datetime

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from rr.checklists import services as checklist_services
from rr.common.errors import Conflict, NotFound, ServiceError
from rr.common.throttling import AtomicRateThrottle
from rr.network import services as network_services

from .endpoints import assert_json_error

pytestmark = pytest.mark.django_db

LOCAL = "2025-06-19T01:00:00+08:00"


def test_an_invalid_username_at_sign_up_is_400_with_its_field(api):
    response = api.post("/auth/user/", {"username": "no spaces allowed"}, format="json")

    body = assert_json_error(response, 400, "invalid_field")
    assert list(body["fields"]) == ["username"]


def test_a_weak_password_at_sign_up_is_400_with_its_field(api):
    response = api.post("/auth/user/", {"username": "mobiledev", "password": "123"}, format="json")

    body = assert_json_error(response, 400, "invalid_field")
    assert list(body["fields"]) == ["password"]


def test_a_missing_field_is_400_with_that_field(client):
    body = assert_json_error(client.post("/api/checklists/", {}, format="json"), 400, "invalid_field")

    assert list(body["fields"]) == ["local_datetime"]


def test_a_local_datetime_without_offset_is_400_with_its_field(client):
    response = client.post("/api/checklists/", {"local_datetime": "2025-06-19T01:00:00"}, format="json")

    assert list(assert_json_error(response, 400, "invalid_field")["fields"]) == ["local_datetime"]


def test_a_body_that_is_not_an_object_is_400_with_empty_fields(client):
    response = client.generic("POST", "/api/checklists/", b"[]", content_type="application/json")

    assert assert_json_error(response, 400, "invalid_field")["fields"] == {}


def test_malformed_json_is_malformed_body(client):
    response = client.generic("POST", "/api/checklists/", b'{"x": ', content_type="application/json")

    assert assert_json_error(response, 400, "malformed_body")["fields"] == {}


def test_no_token_bad_token_and_taken_name(api, user):
    assert_json_error(api.get("/api/checklists/"), 401, "not_authenticated")
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_json_error(api.get("/api/checklists/"), 401, "token_invalid")
    anonymous = APIClient()
    assert_json_error(anonymous.post("/auth/user/", {"username": user.username}, format="json"), 409, "username_taken")
    response = anonymous.post("/auth/user/", {"username": user.username, "password": "wrong one 42"}, format="json")
    assert_json_error(response, 401, "invalid_credentials")
    assert_json_error(anonymous.post("/auth/jwt/refresh/", {"refresh": "nope"}, format="json"), 401, "token_invalid")


def test_method_media_type_and_size(client):
    assert_json_error(client.delete("/api/checklists/"), 405, "method_not_allowed")
    response = client.generic("POST", "/api/checklists/", b"x=1", content_type="text/plain")
    assert_json_error(response, 415, "unsupported_media_type")
    response = client.post("/api/checklists/", {"x": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}, format="json")
    assert_json_error(response, 413, "body_too_large")


def test_checklist_and_regret_codes(client, user, make_user):
    other = make_user()
    theirs, _ = checklist_services.checklist_for_day(user=other, local_datetime=_local())
    mine, _ = checklist_services.checklist_for_day(user=user, local_datetime=_local())

    assert_json_error(client.get(f"/api/checklists/{theirs.pk}/regrets/"), 404, "checklist_not_found")
    response = client.patch(f"/api/checklists/{mine.pk}/regrets/999999/", {"success": True}, format="json")
    assert_json_error(response, 404, "regret_not_found")
    response = client.patch(f"/api/checklists/{mine.pk}/regrets/999999/", {"success": "yes"}, format="json")
    assert list(assert_json_error(response, 400, "invalid_field")["fields"]) == ["success"]


def test_network_codes(client, user, make_user):
    alice, hidden = make_user("alice"), make_user("hidden", allow_networking=False)
    network_services.network_follow(follower=user, target=alice)

    assert_json_error(client.post("/api/network/follow/alice/"), 409, "already_following")
    assert_json_error(client.post(f"/api/network/follow/{user.username}/"), 409, "cannot_follow_self")
    assert_json_error(client.get("/api/network/validate/hidden/"), 403, "networking_disabled")
    assert_json_error(client.get("/api/network/validate/nobody_here/"), 404, "user_not_found")
    assert_json_error(client.delete(f"/api/network/unfollow/{hidden.username}/"), 404, "not_following")
    assert_json_error(client.delete("/api/network/followers/alice/"), 404, "not_a_follower")
    response = client.get("/api/network/list/nope/")
    assert list(assert_json_error(response, 400, "invalid_field")["fields"]) == ["list_type"]


def test_rate_limited(client, make_user, monkeypatch):
    # The limit is 10 a fixed minute (rr/common/throttling.py): the eleven follows are made
    # in one window, the middle of the current one, however long they take.
    now = time.time()
    pinned = now - now % 60 + 30
    monkeypatch.setattr(AtomicRateThrottle, "timer", staticmethod(lambda: pinned))
    targets = [make_user() for _ in range(11)]
    statuses = [client.post(f"/api/network/follow/{target.username}/").status_code for target in targets[:10]]

    assert statuses == [201] * 10
    response = client.post(f"/api/network/follow/{targets[-1].username}/")
    assert_json_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == 30  # what is left of the window


def test_a_deactivated_account_with_a_live_token_is_refused(client, user, make_user):
    target = make_user()
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_json_error(client.post(f"/api/network/follow/{target.username}/"), 401)


def _local():
    return datetime.fromisoformat(LOCAL)


def test_service_errors_have_a_default_code_per_kind_and_only_snake_case_codes():
    assert Conflict("x").code == "conflict"
    assert NotFound("x").code == "not_found"
    assert ServiceError("x").code == "invalid_field"
    with pytest.raises(AssertionError):
        Conflict("x", code="Not Snake")
