"""`POST /auth/password/`: account_password_set."""

import pytest

from rr.accounts.models import User
from tests.support.responses import assert_refused

pytestmark = pytest.mark.django_db

OLD = "a sturdy passphrase 42"
NEW = "another sturdy passphrase 43"


def _login(api, username, password):
    return api.post("/auth/user/", {"username": username, "password": password}, format="json").status_code


def test_an_account_without_password_sets_one_without_proving_anything(api, client_of):
    user = User(username="nopass")
    user.set_unusable_password()
    user.save()

    response = client_of(user).post("/auth/password/", {"password": NEW}, format="json")

    assert response.status_code == 200
    assert response.json()["message"]
    assert _login(api, "nopass", NEW) == 200


def test_changing_a_password_needs_the_current_one(api, client_of, make_user):
    user = make_user("dora", password=OLD)

    response = client_of(user).post("/auth/password/", {"password": NEW, "current_password": OLD}, format="json")

    assert response.status_code == 200
    assert _login(api, "dora", NEW) == 200
    assert _login(api, "dora", OLD) == 401


def test_changing_a_password_with_a_wrong_current_one_is_401(api, client_of, make_user):
    user = make_user("dora", password=OLD)
    body = {"password": NEW, "current_password": "not the current one"}

    response = client_of(user).post("/auth/password/", body, format="json")

    assert_refused(response, 401)
    assert response.json()["error"]
    user.refresh_from_db()
    assert user.check_password(OLD)


@pytest.mark.parametrize("current", [None, ""])
def test_changing_a_password_without_the_current_one_is_400_current_password_required(client_of, make_user, current):
    user = make_user("dora", password=OLD)
    body = {"password": NEW} if current is None else {"password": NEW, "current_password": current}

    response = client_of(user).post("/auth/password/", body, format="json")

    assert_refused(response, 400)
    assert response.json()["code"] == "current_password_required"
    assert "current_password" in response.json()["error"]
    user.refresh_from_db()
    assert user.check_password(OLD)


@pytest.mark.parametrize("weak", ["short", "12345678", "password"])
def test_a_weak_new_password_is_400_and_changes_nothing(client_of, make_user, weak):
    user = make_user("dora", password=OLD)

    response = client_of(user).post("/auth/password/", {"password": weak, "current_password": OLD}, format="json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid password")
    user.refresh_from_db()
    assert user.check_password(OLD)


def test_setting_a_password_needs_an_access_token(api, make_user):
    make_user("dora", password=OLD)

    response = api.post("/auth/password/", {"password": NEW}, format="json")

    assert_refused(response, 401)
    assert _login(api, "dora", OLD) == 200
