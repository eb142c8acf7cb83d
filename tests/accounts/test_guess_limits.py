"""Guess limits that strangers cannot turn against the owner (rr.common.throttling).

Logins by name count per client address, per (name, address) and against a per-name
ceiling that an address the name has signed in from skips; recovery codes per address
only; staff accounts under the admin's limits wherever they log in; the admin's
password change like `current_password`. Every limit refuses before any hash.
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from rr.accounts.models import User
from tests.accounts.test_lifecycle import NEW, PASSWORD, _issue_code, _recover, _unclaimed
from tests.support.responses import assert_refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

OWNER = "10.20.0.1"


def _api_login(username, password, address):
    return APIClient(REMOTE_ADDR=address).post(
        "/auth/user/", {"username": username, "password": password}, format="json"
    )


def _web_login(username, password, address):
    """The welcome form's "Log in" from a browser at `address`: its status and whether it signed in."""
    browser = Client(REMOTE_ADDR=address)
    page = browser.post("/", {"username": username, "password": password, "action": "login"})
    return page.status_code, "_auth_user_id" in browser.session


def _admin_login(username, password, address):
    browser = Client(REMOTE_ADDR=address)
    browser.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return "_auth_user_id" in browser.session


LOGINS = {
    "api": lambda username, password, address: _api_login(username, password, address).status_code,
    "web": lambda username, password, address: _web_login(username, password, address)[0],
}
OK = {"api": 200, "web": 302}


@pytest.mark.parametrize("door", ["api", "web"])
def test_strangers_from_many_addresses_cannot_lock_the_owner_out_of_an_address_they_used(
    door, make_user, throttle_rates, hashes
):
    throttle_rates(login_name="2/hour", login_name_ceiling="6/hour")
    make_user("owner", password=PASSWORD)
    login = LOGINS[door]
    assert login("owner", PASSWORD, OWNER) == OK[door]  # the owner's phone, once
    # 29 bogus logins from six addresses: far past the name's ceiling (the owner's first
    # login, from an address not yet known, counted against it too).
    statuses = [login("owner", f"guess {i}", f"10.66.0.{i % 6}") for i in range(29)]
    assert statuses.count(401) == 5 and statuses.count(429) == 24
    hashed = len(hashes)

    assert login("owner", PASSWORD, OWNER) == OK[door]  # the owner's address: not locked out
    assert login("owner", PASSWORD, "10.20.9.9") == 429  # a new address meets the ceiling
    assert len(hashes) == hashed + 1


@pytest.mark.parametrize("door", ["api", "web"])
def test_logins_are_limited_per_name_and_address_before_hashing(door, make_user, throttle_rates, hashes):
    throttle_rates(login_name="3/hour", login_name_ceiling="100/hour")
    make_user("guessed", password=PASSWORD)
    login = LOGINS[door]
    assert [login("guessed", f"guess {i}", "10.30.0.1") for i in range(3)] == [401] * 3
    hashed = len(hashes)

    assert login("guessed", PASSWORD, "10.30.0.1") == 429  # even the right password, unhashed
    assert len(hashes) == hashed
    assert login("guessed", PASSWORD, "10.30.0.2") == OK[door]  # another address has its own window


@pytest.mark.parametrize("door", ["api", "web"])
def test_logins_are_limited_per_address_whatever_the_name(door, make_user, throttle_rates, hashes):
    throttle_rates(login_address="3/hour")
    make_user("sprayed", password=PASSWORD)
    login = LOGINS[door]
    for i in range(3):
        make_user(f"name_{i}", password=PASSWORD)
        assert login(f"name_{i}", "wrong", "10.31.0.1") == 401
    hashed = len(hashes)
    assert login("sprayed", PASSWORD, "10.31.0.1") == 429
    assert len(hashes) == hashed


def test_a_web_refusal_is_a_429_page_with_the_message_by_the_password(make_user, throttle_rates):
    throttle_rates(login_name="1/hour")
    make_user("paged", password=PASSWORD)
    _web_login("paged", "wrong", "10.32.0.1")
    page = Client(REMOTE_ADDR="10.32.0.1").post("/", {"username": "paged", "password": PASSWORD, "action": "login"})
    assert page.status_code == 429
    assert "Too many attempts: try again in" in page.content.decode()


def test_bogus_recovery_codes_from_many_addresses_leave_the_owners_code_working(throttle_rates):
    throttle_rates(recovery="2/hour")
    _unclaimed("recovering")
    code = _issue_code("recovering")
    for i in range(10):  # 10 bogus codes from five addresses: each address at its limit
        response = APIClient(REMOTE_ADDR=f"10.40.0.{i % 5}").post(
            "/auth/recover/", {"username": "recovering", "code": f"WRONG-{i:05d}", "password": NEW}, format="json"
        )
        assert response.status_code == 401
    assert_refused(
        APIClient(REMOTE_ADDR="10.40.0.0").post(
            "/auth/recover/", {"username": "recovering", "code": code, "password": NEW}, format="json"
        ),
        429,
    )
    assert _recover("recovering", code).status_code == 200  # the owner's own address
    assert User.objects.get(username="recovering").check_password(NEW)


def test_web_recovery_is_limited_per_address_only(throttle_rates):
    throttle_rates(recovery="1/hour")
    _unclaimed("web_recovering")
    code = _issue_code("web_recovering")
    form = {"username": "web_recovering", "code": "WRONG-00000", "password": NEW}
    assert Client(REMOTE_ADDR="10.41.0.1").post("/recover/", form).status_code == 401
    assert Client(REMOTE_ADDR="10.41.0.1").post("/recover/", {**form, "code": code}).status_code == 429
    assert Client(REMOTE_ADDR="10.41.0.2").post("/recover/", {**form, "code": code}).status_code == 302


@pytest.mark.parametrize("door", ["api", "web"])
def test_staff_logins_through_the_api_and_the_web_count_under_the_admin_limit(door, throttle_rates, hashes):
    throttle_rates(admin_login="3/hour", login_name="100/hour", login_address="100/hour")
    User.objects.create_superuser("root", PASSWORD)
    login = LOGINS[door]
    assert [login("root", f"guess {i}", "10.50.0.1") for i in range(3)] == [401] * 3
    hashed = len(hashes)

    assert login("root", PASSWORD, "10.50.0.1") == 429  # the admin's limit, not the looser login one
    assert not _admin_login("root", PASSWORD, "10.50.0.1")  # one budget with /admin/login/
    assert len(hashes) == hashed


def test_admin_logins_spend_the_budget_of_staff_api_logins(throttle_rates):
    throttle_rates(admin_login="2/hour")
    User.objects.create_superuser("root", PASSWORD)
    assert not _admin_login("root", "wrong 1", "10.51.0.1")
    assert not _admin_login("root", "wrong 2", "10.51.0.1")
    assert_refused(_api_login("root", PASSWORD, "10.51.0.1"), 429)


def test_an_admin_who_signed_in_from_an_address_is_not_locked_out_by_strangers(throttle_rates):
    throttle_rates(admin_login="2/hour", admin_login_ceiling="4/hour")
    User.objects.create_superuser("root", PASSWORD)
    assert _admin_login("root", PASSWORD, OWNER)
    for i in range(12):
        _admin_login("root", f"guess {i}", f"10.52.0.{i % 6}")
    assert _admin_login("root", PASSWORD, OWNER)
    assert not _admin_login("root", PASSWORD, "10.52.9.9")


def test_the_admin_password_change_is_limited_like_current_password(throttle_rates, hashes):
    throttle_rates(password_guess="3/hour")
    root = User.objects.create_superuser("root", PASSWORD)
    browser = Client()
    browser.force_login(root)
    form = {"new_password1": NEW, "new_password2": NEW}
    for i in range(3):
        page = browser.post("/admin/password_change/", {**form, "old_password": f"guess {i}"})
        assert page.status_code == 200 and "incorrect" in page.content.decode()
    hashed = len(hashes)

    page = browser.post("/admin/password_change/", {**form, "old_password": PASSWORD})

    assert page.status_code == 200 and "Too many password change attempts" in page.content.decode()
    assert len(hashes) == hashed  # refused before the old password was hashed
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_the_admin_password_change_under_the_limit_works():
    root = User.objects.create_superuser("root", PASSWORD)
    browser = Client()
    browser.force_login(root)
    page = browser.post(
        "/admin/password_change/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert page.status_code == 302
    root.refresh_from_db()
    assert root.check_password(NEW)
