"""Abuse over real HTTP: limits shared by two server processes, oversized bodies and strings.

Long usernames and descriptions (400) and bodies over the limit (413) are covered
request by request in-process by tests/api/test_bad_input.py, tests/api/test_errors.py,
tests/accounts/test_account_create.py and tests/checklists/test_regrets.py; here the
same refusals are checked through gunicorn, where the body arrives as a real stream.
"""

import uuid

import httpx
import pytest
from django.contrib.auth.hashers import make_password

from rr.accounts import services as account_services
from rr.accounts.models import User
from tests.support.threads import barrier, run_threads

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a sturdy passphrase 42"
SIGNUP_LIMIT, LOGIN_LIMIT = 3, 5
ATTEMPTS = 8


@pytest.fixture
def two_servers(live_server_factory):
    """Two gunicorn servers (two OS processes) sharing Redis and its rate-limit windows.

    One proxy in front of them is trusted (NUM_PROXIES=1), so that each phase of the
    test can come from an address of its own through X-Forwarded-For.
    """
    shared = {
        "CACHE_KEY_PREFIX": f"rr_abuse_{uuid.uuid4().hex[:12]}",
        "RATE_SIGNUP": f"{SIGNUP_LIMIT}/day",
        "RATE_LOGIN": f"{LOGIN_LIMIT}/day",
        "NUM_PROXIES": "1",
    }
    return [live_server_factory(**shared), live_server_factory(**shared)]


def _all_at_once(requests):
    """Send every (url, json, headers) at the same moment, one thread each; the statuses."""
    start = barrier(len(requests))
    statuses = [None] * len(requests)

    def send(i):
        target, body, headers = requests[i]
        start.wait()
        statuses[i] = httpx.post(target, json=body, headers=headers, timeout=60).status_code

    assert run_threads(len(requests), send, barriers=[start], timeout=90) == []
    return statuses


def test_sign_up_and_login_limits_hold_across_two_server_processes(two_servers):
    # Every POST /auth/user/ counts against the login limit (5) first; of the 5 sign-ups
    # that pass it, the sign-up limit lets 3 through. Per-process windows would let
    # up to 5 through (3 per process, 5 in all).
    signups = _all_at_once(
        [
            (f"{two_servers[i % 2].url}/auth/user/", {"username": f"flood_{i}"}, {"X-Forwarded-For": "203.0.113.1"})
            for i in range(ATTEMPTS)
        ]
    )
    assert sorted(signups) == sorted([201] * SIGNUP_LIMIT + [429] * (ATTEMPTS - SIGNUP_LIMIT))
    assert User.objects.filter(username__startswith="flood_").count() == SIGNUP_LIMIT

    # The servers hash with PBKDF2, not the tests' fast hasher.
    User.objects.create(username="dora", password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    logins = _all_at_once(
        [
            (
                f"{two_servers[i % 2].url}/auth/user/",
                {"username": "dora", "password": PASSWORD},
                {"X-Forwarded-For": "203.0.113.2"},
            )
            for i in range(ATTEMPTS)
        ]
    )
    assert sorted(logins) == sorted([200] * LOGIN_LIMIT + [429] * (ATTEMPTS - LOGIN_LIMIT))


def test_oversized_bodies_and_strings_are_refused_through_gunicorn(live_server_factory, make_user, request):
    me = make_user(password=None)
    server = live_server_factory(MAX_BODY_BYTES=16 * 1024)
    api = httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {account_services.tokens_for(me)['access']}"},
        timeout=30,
    )
    request.addfinalizer(api.close)
    checklist = api.post("/api/checklists/", json={"local_datetime": "2025-06-19T08:00:00+02:00"}).json()

    too_big = api.post("/api/checklists/", json={"local_datetime": "2025-06-20T08:00:00+02:00", "pad": "x" * 20_000})
    assert too_big.status_code == 413
    assert "too large" in too_big.json()["error"]

    def chunks():
        # No Content-Length: a megabyte arrives chunked, of a size nobody announced.
        yield b'{"description": "'
        for _ in range(64):
            yield b"d" * 16 * 1024
        yield b'"}'

    chunked = api.post(
        f"/api/checklists/{checklist['id']}/regrets/", content=chunks(), headers={"Content-Type": "application/json"}
    )
    # Django reads a body without Content-Length as empty (it is never buffered): a 400.
    assert chunked.status_code == 400
    assert chunked.json()["error"]

    for response in (
        api.post(f"/api/checklists/{checklist['id']}/regrets/", json={"description": "d" * 256}),
        api.post("/auth/user/", json={"username": "u" * 31}, headers={"Authorization": ""}),
        api.post("/auth/user/", json={"username": "u" * 5000}, headers={"Authorization": ""}),
        api.get(f"/api/network/validate/{'u' * 256}/"),
        api.get("/api/network/list/following/?page_size=%C2%B2"),
    ):
        assert response.status_code == 400, (response.request.url, response.text[:300])
        assert response.json()["error"]
    assert api.get(f"/api/checklists/{checklist['id']}/regrets/").json() == []
    assert User.objects.count() == 1
