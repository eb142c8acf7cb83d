"""`POST /auth/user/` for a new username: account_create."""

import pytest
from rest_framework.test import APIClient

from rr.accounts.models import User
from tests.support.responses import contract_fields
from tests.support.threads import barrier, run_threads

PASSWORD = "a sturdy passphrase 42"

ACCOUNT_FIELDS = contract_fields("Account")


@pytest.mark.django_db
def test_sign_up_answers_201_with_the_account_and_working_tokens(api):
    response = api.post("/auth/user/", {"username": "alice", "password": PASSWORD}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ACCOUNT_FIELDS | {"tokens"}
    assert set(body["tokens"]) == {"refresh", "access"}
    user = User.objects.get(username="alice")
    assert body["id"] == user.pk
    assert body["username"] == "alice"
    assert body["is_active"] is True
    assert body["allow_networking"] is True
    assert body["followers_count"] == 0 and body["following_count"] == 0
    assert user.check_password(PASSWORD)

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}")
    assert api.get("/api/checklists/").status_code == 200


@pytest.mark.django_db
def test_sign_up_without_password_leaves_an_unusable_password(api):
    response = api.post("/auth/user/", {"username": "nopass"}, format="json")

    assert response.status_code == 201
    assert not User.objects.get(username="nopass").has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["abc", "a" * 30, "a.b-c_d", "Zoe_1987", "1.2-3"])
def test_usernames_that_follow_the_rules_are_accepted(api, username):
    response = api.post("/auth/user/", {"username": username}, format="json")

    assert response.status_code == 201
    assert response.json()["username"] == username


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username",
    [
        "",
        "ab",
        "a" * 31,
        "a b",
        "o'neil",
        "tab\tname",
        "trailing ",
        "ünïcode",
        "name\n",
        "<script>",
        "a/b",
        "x" * 10_000,
    ],
)
def test_usernames_that_break_the_rules_are_400_and_create_nothing(api, username):
    response = api.post("/auth/user/", {"username": username}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["error"].lower()
    assert "tokens" not in response.json()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_weak_password_is_400_and_creates_nothing(api):
    response = api.post("/auth/user/", {"username": "weakling", "password": "12345678"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid password")
    assert not User.objects.filter(username="weakling").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("attempt", ["Alice", "ALICE", "aLiCe"])
def test_a_name_equal_but_for_case_to_an_existing_one_is_409(api, make_user, attempt):
    make_user("alice")

    response = api.post("/auth/user/", {"username": attempt, "password": PASSWORD}, format="json")

    assert response.status_code == 409
    assert "tokens" not in response.json()
    assert User.objects.filter(username__iexact="alice").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_equal_but_for_case_create_exactly_one():
    names = ["Carol", "carol", "CAROL", "caRol"]
    start = barrier(len(names))
    results = {}

    def sign_up(i):
        start.wait()
        results[names[i]] = APIClient().post("/auth/user/", {"username": names[i]}, format="json").status_code

    assert run_threads(len(names), sign_up, barriers=[start]) == []

    assert sorted(results.values()) == [201, 409, 409, 409]
    winner = next(name for name, code in results.items() if code == 201)
    assert list(User.objects.filter(username__iexact="carol").values_list("username", flat=True)) == [winner]
