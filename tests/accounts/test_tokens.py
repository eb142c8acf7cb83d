"""Access and refresh tokens: token_refresh, token_revoke and the bearer authentication."""

import logging
from datetime import timedelta

import jwt
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow

from rr.accounts import services, tokens
from rr.accounts.models import Session, User
from tests.support.responses import assert_refused
from tests.support.threads import barrier, run_threads


def _refresh(api, token):
    return api.post("/auth/jwt/refresh/", {"refresh": token}, format="json")


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _tampered(token):
    header, payload, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return ".".join([header, payload, flipped + signature[1:]])


def _expired(token_class, user):
    token = token_class.for_user(user)
    token.set_exp(from_time=aware_utcnow() - timedelta(days=60), lifetime=timedelta(minutes=1))
    return str(token)


@pytest.mark.django_db
def test_refresh_rotates_and_the_old_refresh_token_stops_working(api, user):
    old = services.tokens_for(user)["refresh"]

    response = _refresh(api, old)

    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"refresh", "access"}
    assert fresh["refresh"] != old
    assert _bearer(fresh["access"]).get("/api/checklists/").status_code == 200
    assert _refresh(api, fresh["refresh"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("replayed_at", ["/auth/jwt/refresh/", "/auth/logout/"])
def test_a_replayed_rotated_refresh_token_ends_its_whole_session(api, user, caplog, replayed_at):
    # Someone kept a copy of a refresh token that has since rotated: the thief or the
    # owner, whoever comes second, ends the session for both (theft detection).
    first = services.tokens_for(user, user_agent="the owner's phone")
    other_device = services.tokens_for(user)
    sid = tokens.decode(first["refresh"], token_type="refresh")["sid"]
    successor = _refresh(api, first["refresh"]).json()
    assert _bearer(successor["access"]).get("/auth/user/").status_code == 200

    with caplog.at_level(logging.WARNING, logger="rr.accounts"):
        replay = api.post(replayed_at, {"refresh": first["refresh"]}, format="json")

    assert_refused(replay, 401)
    assert not Session.objects.filter(pk=sid).exists()
    assert_refused(_refresh(api, successor["refresh"]), 401)
    assert_refused(_bearer(successor["access"]).get("/auth/user/"), 401)
    [record] = [r for r in caplog.records if r.name == "rr.accounts" and r.levelno == logging.WARNING]
    assert record.session_id == sid and str(sid) in record.getMessage()
    # Only that session: the account's other devices go on.
    assert _bearer(other_device["access"]).get("/auth/user/").status_code == 200


@pytest.mark.django_db
def test_logout_revokes_the_refresh_token(api, user):
    refresh = services.tokens_for(user)["refresh"]

    response = api.post("/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert_refused(_refresh(api, refresh), 401)
    assert_refused(api.post("/auth/logout/", {"refresh": refresh}, format="json"), 401)


@pytest.mark.django_db
def test_tampered_tokens_are_401(api, user):
    tokens = services.tokens_for(user)

    assert_refused(_refresh(api, _tampered(tokens["refresh"])), 401)
    response = _bearer(_tampered(tokens["access"])).get("/api/checklists/")
    assert_refused(response, 401)
    assert response.json()["error"]


@pytest.mark.django_db
def test_expired_tokens_are_401(api, user):
    assert_refused(_refresh(api, _expired(RefreshToken, user)), 401)
    assert_refused(_bearer(_expired(AccessToken, user)).get("/api/checklists/"), 401)


@pytest.mark.django_db
def test_a_token_of_the_wrong_type_is_401(api, user):
    tokens = services.tokens_for(user)

    assert_refused(_bearer(tokens["refresh"]).get("/api/checklists/"), 401)
    assert_refused(_refresh(api, tokens["access"]), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-jwt", "Token abc", "Basic YWxpY2U6c2VjcmV0"])
def test_malformed_authorization_headers_are_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/checklists/")

    assert_refused(response, 401)
    assert response.json()["error"]


@pytest.mark.django_db
def test_tokens_of_a_deleted_user_are_401(api, user):
    tokens = services.tokens_for(user)
    services.user_delete(user=user)

    assert_refused(_bearer(tokens["access"]).get("/api/checklists/"), 401)
    assert_refused(_refresh(api, tokens["refresh"]), 401)


@pytest.mark.django_db
def test_tokens_of_a_deactivated_user_are_401(api, user):
    tokens = services.tokens_for(user)
    services.user_deactivate(user=user)

    assert_refused(_bearer(tokens["access"]).get("/api/checklists/"), 401)
    assert_refused(_refresh(api, tokens["refresh"]), 401)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_let_exactly_one_through():
    user = User.objects.create_user("racer")
    token = services.tokens_for(user)["refresh"]
    start = barrier(2)
    results = []

    def refresh(_):
        start.wait()
        results.append(_refresh(APIClient(), token).status_code)

    assert run_threads(2, refresh, barriers=[start]) == []

    assert sorted(results) == [200, 401]


LEGACY_KEY = "the-previous-release-secret-key-0123456789abcdef"


def _legacy_access(user, *, key=LEGACY_KEY, issued=None):
    """An access token as the previous release minted it (no `sid`), issued before the cutover."""
    issued = issued if issued is not None else int(tokens.cutover().timestamp()) - 3600
    payload = {"token_type": "access", "user_id": str(user.pk), "jti": "x" * 32, "iat": issued, "exp": issued + 10**6}
    return jwt.encode(payload, key, algorithm="HS256")


@pytest.mark.django_db
def test_read_your_writes_recognises_the_tokens_authentication_accepts(settings, user):
    # The router reads the requester from the same decoder as the authentication
    # (rr.accounts.tokens.decode): a legacy token signed with LEGACY_JWT_SIGNING_KEY
    # names its user for read-your-writes too.
    from django.test import RequestFactory

    from rr.common.routers import request_user_id

    settings.LEGACY_JWT_SIGNING_KEY = LEGACY_KEY
    legacy = _legacy_access(user)
    assert _bearer(legacy).get("/auth/user/").status_code == 200  # the authentication accepts it

    def requester(token):
        return request_user_id(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))

    assert requester(legacy) == user.pk
    assert requester(services.tokens_for(user)["access"]) == user.pk
    assert requester(_legacy_access(user, key="a-key-this-server-never-had-0123456789abcdef")) is None
    assert requester(services.tokens_for(user)["refresh"]) is None
