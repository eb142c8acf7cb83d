"""`POST /auth/user/` for an existing username: account_login, and the per-address limits."""

from urllib.parse import quote

import pytest

from rr.accounts.models import User
from rr.checklists.models import Checklist
from tests.support.responses import assert_refused

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy passphrase 42"


def _legacy_user(username):
    # What the legacy release stored: an unusable password (`!` + random).
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    return user


def _post(api, username, password=None, **extra):
    body = {"username": username} if password is None else {"username": username, "password": password}
    return api.post("/auth/user/", body, format="json", **extra)


def test_correct_password_logs_in_with_200_and_tokens(api, make_user):
    user = make_user("dora")

    response = _post(api, "dora", PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk and body["username"] == "dora"
    assert set(body["tokens"]) == {"refresh", "access"}
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}")
    assert api.get("/api/checklists/").status_code == 200


@pytest.mark.parametrize("password", [None, ""])
def test_existing_username_without_password_is_409_without_tokens(api, make_user, password):
    # The legacy release answered this with tokens: anybody could take over any account.
    make_user("dora")

    response = _post(api, "dora", password)

    assert_refused(response, 409)
    assert set(response.json()) <= {"error", "code", "request_id"}
    assert response.json()["code"] == "username_taken"


def test_wrong_password_is_401_without_tokens(api, make_user):
    make_user("dora")

    response = _post(api, "dora", "not the passphrase")

    assert_refused(response, 401)
    assert set(response.json()) <= {"error", "code", "request_id"}
    assert response.json()["code"] == "invalid_credentials"


def test_an_account_without_usable_password_cannot_be_logged_into(api):
    _legacy_user("legacy_user")

    response = _post(api, "legacy_user", "anything at all 42")

    assert_refused(response, 401)
    assert "tokens" not in response.json()


def test_deactivated_account_cannot_log_in_even_with_its_password(api, make_user):
    make_user("gone", is_active=False)

    assert_refused(_post(api, "gone", PASSWORD), 401)


def test_login_is_exact_not_case_insensitive(api, make_user):
    make_user("dora")

    response = _post(api, "Dora", PASSWORD)

    # `Dora` is not an account; creating it would collide with `dora`.
    assert_refused(response, 409)
    assert User.objects.count() == 1


@pytest.mark.parametrize("odd_name", ["a b", "o'neil", "x", "n" * 255, "tab\there", "trailing ", "Ĳsselmeer", "Bob"])
def test_legacy_odd_usernames_log_in_once_a_password_is_set_and_are_served(api, client_of, make_user, odd_name):
    _legacy_user("bob")  # `Bob` beside `bob` is legal in legacy data
    legacy = User.objects.filter(username=odd_name).first() or _legacy_user(odd_name)

    # The legacy client still holds tokens; it sets a password to open a second device.
    assert client_of(legacy).post("/auth/password/", {"password": PASSWORD}, format="json").status_code == 200
    response = _post(api, odd_name, PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == legacy.pk and body["username"] == odd_name
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}")
    created = api.post("/api/checklists/", {"local_datetime": "2025-06-19T08:00:00+02:00"}, format="json")
    assert created.status_code == 201
    assert Checklist.objects.get().user_id == legacy.pk
    # Others find them by their exact name.
    looked_up = client_of(make_user()).get(f"/api/network/validate/{quote(odd_name)}/")
    assert looked_up.status_code == 200
    assert looked_up.json()["user_id"] == legacy.pk


def test_bob_and_Bob_are_two_accounts_with_their_own_passwords(api):
    bob = User.objects.create_user("bob", "bob's own passphrase 1")
    big_bob = User.objects.create_user("Bob", "Bob's other passphrase 2")

    assert _post(api, "bob", "bob's own passphrase 1").json()["id"] == bob.pk
    assert _post(api, "Bob", "Bob's other passphrase 2").json()["id"] == big_bob.pk
    assert_refused(_post(api, "Bob", "bob's own passphrase 1"), 401)


def _assert_throttled(response):
    assert_refused(response, 429)
    assert response.json()["error"]
    assert int(response["Retry-After"]) >= 1


def test_logins_are_limited_per_client_address(api, make_user, throttle_rates):
    # A day-long window: the test's few requests cannot straddle two windows in practice.
    throttle_rates(login="3/day")
    make_user("dora")

    for _ in range(3):
        assert_refused(_post(api, "dora", "guess 1 2 3", REMOTE_ADDR="10.0.0.1"), 401)
    _assert_throttled(_post(api, "dora", PASSWORD, REMOTE_ADDR="10.0.0.1"))
    # A forged X-Forwarded-For is not a new address.
    _assert_throttled(_post(api, "dora", PASSWORD, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    # Another address is counted apart.
    assert _post(api, "dora", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_sign_ups_are_limited_per_client_address(api, throttle_rates):
    throttle_rates(signup="2/day")

    assert _post(api, "first", REMOTE_ADDR="10.0.0.1").status_code == 201
    assert _post(api, "second", REMOTE_ADDR="10.0.0.1").status_code == 201
    _assert_throttled(_post(api, "third", REMOTE_ADDR="10.0.0.1"))
    _assert_throttled(_post(api, "fourth", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert not User.objects.filter(username__in=["third", "fourth"]).exists()
    assert _post(api, "third", REMOTE_ADDR="10.0.0.2").status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(api, settings, throttle_rates):
    throttle_rates(signup="1/day")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    assert _post(api, "first", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 201
    _assert_throttled(_post(api, "second", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy))
    assert _post(api, "third", HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy).status_code == 201
