"""Access and refresh tokens: token_refresh, token_revoke and the bearer authentication."""

import contextlib
import logging
import time
from datetime import UTC, datetime

import jwt
import pytest
from rest_framework.test import APIClient

from rr.accounts import services, tokens
from rr.accounts.models import Session, User
from tests.support.responses import assert_refused
from tests.support.threads import barrier, run_threads
from tests.support.tokens import session_token


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


def _expired(kind, user):
    """A live session's token of `kind`, expired 60 days ago (else valid)."""
    return session_token(user, kind, exp=int(time.time()) - 60 * 86400)


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
    assert_refused(_refresh(api, _expired("refresh", user)), 401)
    assert_refused(_bearer(_expired("access", user)).get("/api/checklists/"), 401)


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
def test_read_your_writes_follows_the_user_the_authentication_accepts(settings, user):
    # The replica routing's requester is whoever the bearer authentication accepts (it names
    # them: rr.common.routers.acting_user), a legacy token signed with LEGACY_JWT_SIGNING_KEY
    # included; a token it refuses names nobody, and the request's reads stay on the primary.
    from django.test import RequestFactory
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request
    from rest_framework_simplejwt.exceptions import InvalidToken

    from rr.accounts.authentication import SessionJWTAuthentication
    from rr.common import routers

    settings.LEGACY_JWT_SIGNING_KEY = LEGACY_KEY
    legacy = _legacy_access(user)
    assert _bearer(legacy).get("/auth/user/").status_code == 200  # the authentication accepts it

    def requester(token):
        request = Request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
        with routers.request_route() as route:
            with contextlib.suppress(AuthenticationFailed, InvalidToken):
                SessionJWTAuthentication().authenticate(request)
            return route.acting

    assert requester(legacy) == {user.pk}
    assert requester(services.tokens_for(user)["access"]) == {user.pk}
    assert requester(_legacy_access(user, key="a-key-this-server-never-had-0123456789abcdef")) == set()
    assert requester(services.tokens_for(user)["refresh"]) == set()


@pytest.mark.django_db
def test_a_request_that_answers_with_new_tokens_acts_for_their_user(user):
    # Sign-up, login, refresh, recovery: the user whose tokens the answer carries is pinned
    # after the write, as the request's own user is (rr.common.routers, _writers).
    from rr.common import routers

    with routers.request_route() as route:
        services.tokens_for(user)
    assert route.acting == {user.pk}
    services.tokens_for(user)  # outside a request: nothing to route, nothing raised


# Tokens without `sid` (the previous release's) ------------------------------------------


def _status(token):
    return _bearer(token).get("/auth/user/").status_code


@pytest.mark.django_db
def test_a_token_without_sid_is_accepted_only_if_issued_before_the_cutover_and_not_in_the_future(settings, user):
    settings.LEGACY_JWT_SIGNING_KEY = LEGACY_KEY
    cutover = int(tokens.cutover().timestamp())
    now = int(time.time())
    assert _status(_legacy_access(user, issued=cutover - 3600)) == 200
    assert _status(_legacy_access(user, key=settings.JWT_SIGNING_KEY, issued=cutover - 3600)) == 200
    # Minted after the cutover (the previous release run again, e.g. rolled back), with
    # either key, or dated ahead of the clock, or undated: refused.
    for key in (LEGACY_KEY, settings.JWT_SIGNING_KEY):
        assert _status(_legacy_access(user, key=key, issued=cutover + 1)) == 401
        assert _status(_legacy_access(user, key=key, issued=now)) == 401
        assert _status(_legacy_access(user, key=key, issued=now + 86400)) == 401
    undated = jwt.encode(
        {"token_type": "access", "user_id": str(user.pk), "exp": now + 3600}, LEGACY_KEY, algorithm="HS256"
    )
    assert _status(undated) == 401


@pytest.mark.django_db
def test_before_a_migrated_cutover_a_future_token_without_sid_is_refused(settings, user, monkeypatch):
    # No cutover recorded yet (the takeover migration not applied): still not from the future.
    settings.LEGACY_JWT_SIGNING_KEY = LEGACY_KEY
    monkeypatch.setattr(tokens, "cutover", lambda: None)
    now = int(time.time())
    assert _status(_legacy_access(user, issued=now - 60)) == 200
    assert _status(_legacy_access(user, issued=now + 3600)) == 401


@pytest.mark.django_db
def test_a_token_without_sid_is_never_accepted_for_an_account_that_has_claimed(api, settings, user):
    settings.LEGACY_JWT_SIGNING_KEY = LEGACY_KEY
    cutover = int(tokens.cutover().timestamp())
    access = _legacy_access(user, issued=cutover - 3600)
    refresh = jwt.encode(
        {**jwt.decode(access, options={"verify_signature": False}), "token_type": "refresh", "jti": "y" * 32},
        LEGACY_KEY,
        algorithm="HS256",
    )
    # tokens_valid_after before the token's date: only the claim itself refuses it.
    user.tokens_valid_after = datetime.fromtimestamp(cutover - 7200, UTC)
    user.save(update_fields=["tokens_valid_after"])

    assert_refused(_bearer(access).get("/auth/user/"), 401)
    assert_refused(_refresh(api, refresh), 401)
    assert_refused(
        _bearer(access).post("/auth/password/", {"password": "a brand new passphrase 7"}, format="json"), 401
    )
    assert _bearer(session_token(user)).get("/auth/user/").status_code == 200
