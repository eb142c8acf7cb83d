"""Bad input on every endpoint: a 4xx with a message, and not one row written.

Each case is sent by `me` (or anonymously) against a small world where a wrongly
accepted request would write something: a follow to make, follows to undo, regrets to
tick, a password to change, refresh tokens to revoke.
"""

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from rr.accounts import services as account_services
from rr.accounts.models import RecoveryCode, Session, User
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.network import services as network_services
from rr.network.models import Block, FollowRequest, Network
from rr.notifications.models import Nudge, PushSubscription, Reminder
from tests.support.tokens import session_token

from .endpoints import ENDPOINTS, assert_json_error

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy passphrase 42"
MALFORMED = b'{"oops": '
HUGE_ID = "99999999999999999999"  # beyond bigint
UNKNOWN_ID = "999999999"
LONG = 10_000


@dataclass
class World:
    me: Any
    client: Any
    ids: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)


@dataclass
class Case:
    method: str
    path: str  # may name {mine}, {my_regret}, {theirs}, {their_regret}
    body: Any = None  # bytes are sent raw; a callable gets the World; None sends no body
    status: int = 400
    anonymous: bool = False

    @property
    def id(self):
        body = (
            self.body
            if isinstance(self.body, (bytes, type(None)))
            else "callable"
            if callable(self.body)
            else self.body
        )
        return f"{self.method} {self.path[:60]} {str(body)[:60]!r} -> {self.status}"


@pytest.fixture
def world(make_user, client_of):
    me = make_user("me_user", password=PASSWORD)
    other = make_user("other_user")
    make_user("target_user")
    make_user("private_user", allow_networking=False)
    friend = make_user("friend_user")
    network_services.network_follow(follower=me, target=friend)
    network_services.network_follow(follower=friend, target=me)
    day = datetime(2025, 6, 19, 12, tzinfo=UTC)
    mine, _ = checklist_services.checklist_for_day(user=me, local_datetime=day)
    theirs, _ = checklist_services.checklist_for_day(user=other, local_datetime=day)
    my_regret, _ = checklist_services.regret_add(user=me, checklist_id=mine.pk, description="mine")
    their_regret, _ = checklist_services.regret_add(user=other, checklist_id=theirs.pk, description="theirs")
    expired = session_token(me, "refresh", exp=int(time.time()) - 60 * 86400)
    return World(
        me=me,
        client=client_of(me),
        ids={"mine": mine.pk, "my_regret": my_regret.pk, "theirs": theirs.pk, "their_regret": their_regret.pk},
        tokens={**account_services.tokens_for(me), "expired": str(expired)},
    )


def _body_cases(method, path, *bad_bodies):
    """The cases every endpoint that reads a JSON object gets, plus its own."""
    return [
        Case(method, path, MALFORMED),
        Case(method, path, b"[]"),
        Case(method, path, b'"a string"'),
        Case(method, path, {}),
        *bad_bodies,
    ]


CHECKLISTS = "/api/checklists/"
REGRETS = "/api/checklists/{mine}/regrets/"
REGRET = "/api/checklists/{mine}/regrets/{my_regret}/"
VALIDATE, FOLLOW = "/api/network/validate/{}/", "/api/network/follow/{}/"
UNFOLLOW, FOLLOWER = "/api/network/unfollow/{}/", "/api/network/followers/{}/"
LIST, SETTINGS = "/api/network/list/{}/", "/api/network/settings/"
HISTORY, NUDGE = "/api/checklists/history/", "/api/network/nudges/{}/"
BLOCK = "/api/network/blocks/{}/"
REMINDERS, SUBSCRIPTIONS = "/api/reminders/", "/api/push/subscriptions/"
ROUTINE, ROUTINE_ITEM = "/api/routine/", f"/api/routine/{UNKNOWN_ID}/"


def _username_cases(method, template, *own):
    """Path usernames: NUL, oversized, unknown, plus the endpoint's own refusals, and a malformed body."""
    return [
        Case(method, template.format("new%00user")),
        Case(method, template.format("u" * LONG)),
        Case(method, template.format("nobody_here"), status=404),
        *own,
    ]


CASES = [
    # Accounts
    Case("GET", "/auth/user/", MALFORMED),
    Case("GET", "/auth/user/", status=401, anonymous=True),
    *_body_cases(
        "DELETE",
        "/auth/user/",
        Case("DELETE", "/auth/user/", {"password": 12345678}),
        Case("DELETE", "/auth/user/", {"confirm": "me_user"}),  # an account with a password must send it
        Case("DELETE", "/auth/user/", {"password": "not my password"}, status=401),
        Case("DELETE", "/auth/user/", {"password": PASSWORD}, status=401, anonymous=True),
    ),
    Case("GET", "/auth/user/export/", MALFORMED),
    Case("GET", "/auth/user/export/", status=401, anonymous=True),
    *_body_cases(
        "POST",
        "/auth/recover/",
        Case("POST", "/auth/recover/", {"username": "me_user", "code": "ABCDE-FGHJK", "password": 5}),
        Case("POST", "/auth/recover/", {"username": "me_user", "password": PASSWORD}),
        Case("POST", "/auth/recover/", {"username": "me_user", "code": "x" * LONG, "password": PASSWORD}),
        Case(
            "POST", "/auth/recover/", {"username": "me_user", "code": "ABCDE-FGHJK", "password": PASSWORD}, status=401
        ),
        Case("POST", "/auth/recover/", {"username": "nobody", "code": "ABCDE-FGHJK", "password": PASSWORD}, status=401),
    ),
    Case("GET", "/auth/sessions/", MALFORMED),
    Case("GET", "/auth/sessions/", status=401, anonymous=True),
    Case("DELETE", "/auth/sessions/1/", MALFORMED),
    Case("DELETE", f"/auth/sessions/{UNKNOWN_ID}/", status=404),
    Case("DELETE", f"/auth/sessions/{HUGE_ID}/", status=404),
    Case("DELETE", "/auth/sessions/1/", status=401, anonymous=True),
    Case("POST", "/auth/logout-all/", MALFORMED),
    Case("POST", "/auth/logout-all/", status=401, anonymous=True),
    *_body_cases(
        "POST",
        "/auth/user/",
        Case("POST", "/auth/user/", {"password": PASSWORD}),
        Case("POST", "/auth/user/", {"username": 12345}),
        Case("POST", "/auth/user/", {"username": None}),
        Case("POST", "/auth/user/", {"username": {"name": "x"}}),
        Case("POST", "/auth/user/", {"username": "u" * LONG}),
        Case("POST", "/auth/user/", {"username": "new\x00user"}),
        Case("POST", "/auth/user/", {"username": "newbie", "password": 12345678}),
        Case("POST", "/auth/user/", {"username": "newbie", "password": "p" * LONG}),
        Case("POST", "/auth/user/", {"username": "newbie", "password": "pass\x00word 42"}),
        Case("POST", "/auth/user/", {"username": "newbie", "password": "short"}),
        Case("POST", "/auth/user/", {"username": "me_user", "password": "not my password"}, status=401),
        Case("POST", "/auth/user/", {"username": "me_user"}, status=409),
        Case("POST", "/auth/user/", {"username": "ME_USER", "password": PASSWORD}, status=409),
    ),
    *_body_cases(
        "POST",
        "/auth/password/",
        Case("POST", "/auth/password/", {"password": 12345678}),
        Case("POST", "/auth/password/", {"password": "p" * LONG, "current_password": PASSWORD}),
        Case("POST", "/auth/password/", {"password": "new\x00password 42", "current_password": PASSWORD}),
        Case("POST", "/auth/password/", {"password": "another passphrase 43", "current_password": 42}),
        Case("POST", "/auth/password/", {"password": "another passphrase 43", "current_password": "wrong"}, status=401),
        Case("POST", "/auth/password/", {"password": "another passphrase 43"}),  # current_password_required
        Case("POST", "/auth/password/", {"password": "another passphrase 43"}, status=401, anonymous=True),
    ),
    *[
        case
        for path in ("/auth/jwt/refresh/", "/auth/logout/")
        for case in _body_cases(
            "POST",
            path,
            Case("POST", path, {"refresh": 12345}),
            Case("POST", path, {"refresh": None}),
            Case("POST", path, {"refresh": "r" * LONG}),
            Case("POST", path, lambda w: {"refresh": w.tokens["refresh"] + "\x00"}),
            Case("POST", path, {"refresh": "not.a.jwt"}, status=401),
            Case("POST", path, lambda w: {"refresh": w.tokens["access"]}, status=401),
            Case("POST", path, lambda w: {"refresh": w.tokens["expired"]}, status=401),
            Case("POST", path, lambda w: {"refresh": w.tokens["refresh"][:-2] + "xx"}, status=401),
        )
    ],
    # Checklists
    Case("GET", CHECKLISTS, MALFORMED),
    *_body_cases(
        "POST",
        CHECKLISTS,
        Case("POST", CHECKLISTS, {"local_datetime": 1750294800}),
        Case("POST", CHECKLISTS, {"local_datetime": True}),
        Case("POST", CHECKLISTS, {"local_datetime": None}),
        Case("POST", CHECKLISTS, {"local_datetime": "2025-06-20T01:00:00"}),  # naive
        Case("POST", CHECKLISTS, {"local_datetime": "2025-06-20T01:00:00+08:00\x00"}),
        Case("POST", CHECKLISTS, {"local_datetime": "2" * LONG}),
        Case("POST", CHECKLISTS, {"local_datetime": "next tuesday"}),
    ),
    Case("GET", REGRETS, MALFORMED),
    Case("GET", "/api/checklists/{theirs}/regrets/", status=404),
    Case("GET", f"/api/checklists/{UNKNOWN_ID}/regrets/", status=404),
    Case("GET", f"/api/checklists/{HUGE_ID}/regrets/", status=404),
    Case("GET", "/api/checklists/{mine}/", MALFORMED),
    Case("GET", "/api/checklists/{theirs}/", status=404),
    Case("GET", f"/api/checklists/{UNKNOWN_ID}/", status=404),
    Case("GET", f"/api/checklists/{HUGE_ID}/", status=404),
    *_body_cases(
        "POST",
        REGRETS,
        Case("POST", REGRETS, {"description": 5}),
        Case("POST", REGRETS, {"description": ""}),
        Case("POST", REGRETS, {"description": "d" * 256}),
        Case("POST", REGRETS, {"description": "d" * LONG}),
        Case("POST", REGRETS, {"description": "nul\x00here"}),
        Case("POST", "/api/checklists/{theirs}/regrets/", {"description": "sneaky"}, status=404),
        Case("POST", f"/api/checklists/{UNKNOWN_ID}/regrets/", {"description": "lost"}, status=404),
        Case("POST", f"/api/checklists/{HUGE_ID}/regrets/", {"description": "lost"}, status=404),
    ),
    *[
        case
        for method in ("PATCH", "PUT")
        for case in _body_cases(
            method,
            REGRET,
            Case(method, REGRET, {"success": "yes"}),
            Case(method, REGRET, {"success": "true"}),
            Case(method, REGRET, {"success": 1}),
            Case(method, REGRET, {"success": None}),
            Case(method, REGRET, {"description": ""}),
            Case(method, REGRET, {"description": "d" * 256}),
            Case(method, REGRET, {"description": 5}),
            Case(method, REGRET, {"success": True, "description": None}),
            Case(method, "/api/checklists/{theirs}/regrets/{their_regret}/", {"success": True}, status=404),
            Case(method, "/api/checklists/{mine}/regrets/{their_regret}/", {"success": True}, status=404),
            Case(method, "/api/checklists/{theirs}/regrets/{my_regret}/", {"success": True}, status=404),
            Case(method, f"/api/checklists/{{mine}}/regrets/{UNKNOWN_ID}/", {"success": True}, status=404),
            Case(method, f"/api/checklists/{{mine}}/regrets/{HUGE_ID}/", {"success": True}, status=404),
        )
    ],
    Case("DELETE", REGRET, MALFORMED),
    Case("DELETE", "/api/checklists/{theirs}/regrets/{their_regret}/", status=404),
    Case("DELETE", "/api/checklists/{mine}/regrets/{their_regret}/", status=404),
    Case("DELETE", f"/api/checklists/{{mine}}/regrets/{HUGE_ID}/", status=404),
    # The routine
    Case("GET", ROUTINE, MALFORMED),
    *_body_cases(
        "POST",
        ROUTINE,
        Case("POST", ROUTINE, {"description": ""}),
        Case("POST", ROUTINE, {"description": "d" * 256}),
        Case("POST", ROUTINE, {"description": ["a"]}),
        Case("POST", ROUTINE, {"from_regret": "x"}),
        Case("POST", ROUTINE, {"from_regret": HUGE_ID}),
        Case("POST", ROUTINE, {"description": "a", "from_regret": 1}),
        Case("POST", ROUTINE, lambda world: {"from_regret": world.ids["their_regret"]}, status=404),
        Case("POST", ROUTINE, {"from_regret": UNKNOWN_ID}, status=404),
    ),
    *_body_cases(
        "PUT",
        ROUTINE,
        Case("PUT", ROUTINE, {"from_checklist": "x"}),
        Case("PUT", ROUTINE, {"from_checklist": UNKNOWN_ID}, status=404),
    ),
    *_body_cases(
        "PATCH",
        ROUTINE_ITEM,
        Case("PATCH", ROUTINE_ITEM, {"description": ""}),
        Case("PATCH", ROUTINE_ITEM, {"position": 0}),
        Case("PATCH", ROUTINE_ITEM, {"position": "first"}),
        Case("PATCH", ROUTINE_ITEM, {"position": 1}, status=404),
    ),
    Case("DELETE", ROUTINE_ITEM, status=404),
    Case("DELETE", ROUTINE_ITEM, MALFORMED),
    Case("GET", "/api/inbox/", MALFORMED),
    # Network
    *_username_cases("GET", VALIDATE, Case("GET", VALIDATE.format("target_user"), MALFORMED)),
    *_username_cases(
        "POST",
        FOLLOW,
        Case("POST", FOLLOW.format("me_user"), status=409),
        Case("POST", FOLLOW.format("friend_user"), status=409),
        Case("POST", FOLLOW.format("private_user"), status=403),
        Case("POST", FOLLOW.format("target_user"), MALFORMED),
    ),
    *_username_cases(
        "DELETE",
        UNFOLLOW,
        Case("DELETE", UNFOLLOW.format("target_user"), status=404),
        Case("DELETE", UNFOLLOW.format("friend_user"), MALFORMED),
    ),
    *_username_cases(
        "DELETE",
        FOLLOWER,
        Case("DELETE", FOLLOWER.format("target_user"), status=404),
        Case("DELETE", FOLLOWER.format("friend_user"), MALFORMED),
    ),
    Case("GET", LIST.format("strangers")),
    Case("GET", LIST.format("follow%00ing")),
    Case("GET", LIST.format("f" * LONG)),
    Case("GET", LIST.format("following") + "?page_size=abc"),
    Case("GET", LIST.format("following") + "?page_size=0"),
    Case("GET", LIST.format("following") + "?cursor=-1"),
    Case("GET", LIST.format("following") + f"?cursor={HUGE_ID}"),
    Case("GET", LIST.format("following"), MALFORMED),
    Case("GET", SETTINGS, MALFORMED),
    *_body_cases(
        "PATCH",
        SETTINGS,
        Case("PATCH", SETTINGS, {"allow_networking": "no"}),
        Case("PATCH", SETTINGS, {"allow_networking": 0}),
        Case("PATCH", SETTINGS, {"allow_networking": None}),
        Case("PATCH", SETTINGS, {"allow_networking": [False]}),
    ),
    # History, follow requests, blocks, nudges (docs/NETWORK.md, docs/STREAKS.md)
    Case("GET", HISTORY + "?days=0"),
    Case("GET", HISTORY + "?days=367"),
    Case("GET", HISTORY + "?days=%C2%B2"),
    Case("GET", HISTORY + "?days=1.5"),
    Case("GET", HISTORY, MALFORMED),
    *_username_cases(
        "POST",
        NUDGE,
        Case("POST", NUDGE.format("me_user")),
        Case("POST", NUDGE.format("target_user"), status=403),
        Case("POST", NUDGE.format("private_user"), status=403),
        Case("POST", NUDGE.format("friend_user"), MALFORMED),
    ),
    Case("GET", "/api/nudges/", MALFORMED),
    Case("POST", "/api/nudges/read/", MALFORMED),
    Case("GET", "/api/network/requests/incoming/", MALFORMED),
    Case("GET", "/api/network/requests/outgoing/", MALFORMED),
    Case("POST", f"/api/network/requests/{UNKNOWN_ID}/accept/", status=404),
    Case("POST", f"/api/network/requests/{HUGE_ID}/accept/", status=404),
    Case("POST", f"/api/network/requests/{UNKNOWN_ID}/accept/", MALFORMED),
    Case("DELETE", f"/api/network/requests/{UNKNOWN_ID}/", status=404),
    Case("DELETE", f"/api/network/requests/{UNKNOWN_ID}/", MALFORMED),
    Case("GET", "/api/network/blocks/", MALFORMED),
    *_username_cases(
        "POST",
        BLOCK,
        Case("POST", BLOCK.format("me_user")),
        Case("POST", BLOCK.format("friend_user"), MALFORMED),
    ),
    *_username_cases(
        "DELETE",
        BLOCK,
        Case("DELETE", BLOCK.format("friend_user"), status=404),
        Case("DELETE", BLOCK.format("friend_user"), MALFORMED),
    ),
    # Reminders and Web Push
    Case("GET", REMINDERS, MALFORMED),
    *_body_cases(
        "PATCH",
        REMINDERS,
        Case("PATCH", REMINDERS, {"enabled": "yes"}),
        Case("PATCH", REMINDERS, {"local_time": "25:00"}),
        Case("PATCH", REMINDERS, {"local_time": "x" * LONG}),
        Case("PATCH", REMINDERS, {"utc_offset_minutes": 10_000}),
    ),
    Case("GET", "/api/push/key/", MALFORMED),
    *_body_cases(
        "POST",
        SUBSCRIPTIONS,
        Case("POST", SUBSCRIPTIONS, {"endpoint": "https://127.0.0.1/x", "keys": {"p256dh": "x", "auth": "y"}}),
        Case("POST", SUBSCRIPTIONS, {"endpoint": "https://" + "a" * LONG, "keys": {}}),
        Case("POST", SUBSCRIPTIONS, {"endpoint": ["https://fcm.googleapis.com/x"], "keys": {}}),
    ),
    *_body_cases("DELETE", SUBSCRIPTIONS, Case("DELETE", SUBSCRIPTIONS, {"endpoint": 5})),
]


def _snapshot():
    """Everything a request could write, row by row."""
    return {
        "rr_user": list(User.objects.order_by("pk").values_list()),
        "rr_checklist": list(Checklist.objects.order_by("pk").values_list()),
        "rr_regret": list(Regret.objects.order_by("pk").values_list()),
        "rr_network": list(Network.objects.order_by("pk").values_list()),
        "rr_session": list(Session.objects.order_by("pk").values_list()),
        "rr_recovery_code": list(RecoveryCode.objects.order_by("pk").values_list()),
        "rr_follow_request": list(FollowRequest.objects.order_by("pk").values_list()),
        "rr_block": list(Block.objects.order_by("pk").values_list()),
        "rr_nudge": list(Nudge.objects.order_by("pk").values_list()),
        "rr_reminder": list(Reminder.objects.order_by("pk").values_list()),
        "rr_push_subscription": list(PushSubscription.objects.order_by("pk").values_list()),
        "rr_routine_item": list(RoutineItem.objects.order_by("pk").values_list()),
        "outstanding tokens": OutstandingToken.objects.count(),
        "blacklisted tokens": BlacklistedToken.objects.count(),
    }


def _send(world, case):
    client = APIClient() if case.anonymous else world.client
    path = case.path.format(**world.ids)
    body = case.body(world) if callable(case.body) else case.body
    if body is None:
        return client.generic(case.method, path)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.generic(case.method, path, raw, content_type="application/json")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_a_4xx_with_a_message_and_writes_nothing(world, case):
    before = _snapshot()

    response = _send(world, case)

    assert_json_error(response, case.status)
    assert _snapshot() == before


def _endpoint_of(path):
    """The schema's name for the endpoint a concrete path reaches (None if no route matches)."""
    try:
        route = resolve(path.split("?")[0].format(mine=1, theirs=2, my_regret=3, their_regret=4)).route
    except Resolver404:
        return None
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_the_table_covers_every_endpoint():
    covered = {}
    for case in CASES:
        key = (case.method, _endpoint_of(case.path))
        covered.setdefault(key, []).append(case)
    assert set(ENDPOINTS) <= set(covered), set(ENDPOINTS) - set(covered)
    for key, spec in ENDPOINTS.items():
        bodies = [case.body for case in covered[key]]
        assert MALFORMED in bodies, key
        if spec["body"]:
            assert b"[]" in bodies and {} in bodies, key
