"""Authorization gaps left by the per-domain tests.

Already covered elsewhere (not repeated here): another user's checklist or regret is
a 404 and unchanged on every id endpoint (tests/api/test_bad_input.py, the
`{theirs}`/`{their_regret}` cases, and tests/checklists/test_regrets.py); each bad
token kind on one endpoint, revocation, rotation and two concurrent refreshes
(tests/accounts/test_tokens.py); no token on every endpoint (tests/api/test_errors.py).

Here: every bad token kind on every endpoint that needs a token; other people's
follow links are out of reach of the username endpoints; a refresh token raced by
several refreshes and logouts at once is spent exactly once.
"""

import json
import time

import jwt
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from rr.accounts import services as account_services
from rr.accounts.models import RecoveryCode, Session, User
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.network import services as network_services
from rr.network.models import Block, FollowRequest, Network
from rr.notifications.models import Nudge
from tests.api.endpoints import ENDPOINTS
from tests.network.helpers import url
from tests.support.clients import client_for
from tests.support.counts import assert_counts_exact
from tests.support.threads import barrier, run_threads
from tests.support.tokens import claims, reissued, session_token

TOKEN_ENDPOINTS = sorted(key for key, spec in ENDPOINTS.items() if spec["token"])
BODIES = {
    "/auth/password/": {"password": "another passphrase 43"},
    "/api/checklists/": {"local_datetime": "2025-06-19T08:00:00+02:00"},
    "/api/checklists/{checklist_id}/regrets/": {"description": "sneaky"},
    "/api/checklists/{checklist_id}/regrets/{regret_id}/": {"success": True},
    "/api/network/settings/": {"allow_networking": False},
}


def _forged(user, kind):
    """An access token for `user` that must not be accepted, of the given kind (each
    otherwise a live session's, so that only its flaw refuses it)."""
    token = session_token(user)
    if kind == "expired":
        return reissued(token, exp=int(time.time()) - 86400)
    if kind == "refresh_as_access":
        return account_services.tokens_for(user)["refresh"]
    if kind == "tampered":
        header, payload, signature = token.split(".")
        return ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    if kind == "other_key":
        return reissued(token, key="a-key-this-server-never-had-0123456789abcdef")
    if kind == "alg_none":
        return jwt.encode(claims(token), None, algorithm="none")
    if kind == "unknown_user":
        return reissued(token, user_id=str(10**12))
    if kind == "ended_session":
        account_services.session_end(user=user, session_id=claims(token)["sid"])
        return token
    if kind == "legacy_after_cutover":
        return reissued(token, drop=["sid"])
    raise ValueError(kind)


def _snapshot():
    return [
        model.objects.count()
        for model in (
            User,
            Checklist,
            Regret,
            Network,
            OutstandingToken,
            BlacklistedToken,
            Session,
            RecoveryCode,
            FollowRequest,
            Block,
            Nudge,
            RoutineItem,
        )
    ] + [list(User.objects.order_by("pk").values_list("password", "is_active", "allow_networking"))]


@pytest.fixture
def victim(make_user):
    """A user with one of everything an endpoint could change."""
    user = make_user()
    friend = make_user()
    network_services.network_follow(follower=user, target=friend)
    network_services.network_follow(follower=friend, target=user)
    checklist = Checklist.objects.create(user=user)
    regret = Regret.objects.create(checklist=checklist, description="kept")
    account_services.tokens_for(user)  # a session an endpoint could end
    session = Session.objects.filter(user=user).first()
    asker = make_user()
    pending = FollowRequest.objects.create(requester=asker, target=user)
    item = checklist_services.routine_add(user=user, description="standing")
    args = {
        "checklist_id": checklist.pk,
        "regret_id": regret.pk,
        "username": friend.username,
        "session_id": session.pk,
        "item_id": item.pk,
    }
    return user, {**args, "list_type": "following", "request_id": pending.pk}


KINDS = [
    "expired",
    "refresh_as_access",
    "tampered",
    "other_key",
    "alg_none",
    "unknown_user",
    "ended_session",
    "legacy_after_cutover",
    "deactivated",
    "deleted",
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_access_token_is_401_on_every_endpoint_and_changes_nothing(victim, kind):
    user, args = victim
    if kind in ("deactivated", "deleted"):
        token = account_services.tokens_for(user)["access"]
        action = account_services.user_deactivate if kind == "deactivated" else account_services.user_delete
        action(user=user)
    else:
        token = _forged(user, kind)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = _snapshot()

    for method, path in TOKEN_ENDPOINTS:
        body = json.dumps(BODIES[path]) if path in BODIES else ""
        response = client.generic(method, path.format(**args), body, content_type="application/json")
        assert response.status_code == 401, (method, path, response.content[:200])
        assert response.json()["error"]

    assert _snapshot() == before


@pytest.mark.django_db
def test_other_peoples_links_are_out_of_reach_of_the_username_endpoints(make_user):
    alice, bob, mallory = make_user(password=None), make_user(password=None), make_user(password=None)
    network_services.network_follow(follower=alice, target=bob)
    client = client_for(mallory)

    # Mallory can neither undo Alice's follow of Bob from either end, nor see it.
    assert client.delete(url("unfollow", bob.username)).status_code == 404
    assert client.delete(url("follower", alice.username)).status_code == 404
    for kind in ("following", "followers"):
        listed = client.get(url("list", kind)).json()
        assert listed["count"] == 0 and listed["users"] == []
    # Following Bob herself is her own link, not a change to Alice's.
    assert client.post(url("follow", bob.username)).status_code == 201

    assert Network.objects.filter(follower=alice, following=bob).count() == 1
    assert Network.objects.filter(follower=mallory, following=bob).count() == 1
    assert Network.objects.count() == 2
    assert_counts_exact()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_raced_by_refreshes_and_logouts_is_spent_exactly_once():
    for round_ in range(5):
        user = User.objects.create_user(f"racer_{round_}")
        token = account_services.tokens_for(user)["refresh"]
        kinds = ["refresh", "logout"] * 4
        start = barrier(len(kinds))
        statuses = []

        def race(i, token=token, kinds=kinds, start=start, statuses=statuses):
            start.wait()
            path = "/auth/jwt/refresh/" if kinds[i] == "refresh" else "/auth/logout/"
            statuses.append((kinds[i], APIClient().post(path, {"refresh": token}, format="json").status_code))

        assert run_threads(len(kinds), race, barriers=[start]) == []

        assert len(statuses) == len(kinds)
        assert sorted(status for _, status in statuses) == [200] + [401] * (len(kinds) - 1), statuses
        [winner] = [kind for kind, status in statuses if status == 200]
        # A won logout ended the session; a won refresh rotated it, and the losers then
        # replayed a rotated token, which ends the whole session (theft detection).
        assert winner in ("refresh", "logout")
        assert Session.objects.filter(user=user).count() == 0
        assert APIClient().post("/auth/jwt/refresh/", {"refresh": token}, format="json").status_code == 401
