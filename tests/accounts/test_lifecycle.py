"""The account lifecycle: the current account, claim and password change ending
every other session, sessions, recovery codes, guessing limits, sign-up name folding."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from rr.accounts import services, tokens
from rr.accounts.models import RecoveryCode, Session, User
from tests.support.clients import client_with_token
from tests.support.pgwire import StatementCountingProxy
from tests.support.responses import assert_refused
from tests.support.threads import barrier, run_threads

PASSWORD = "a sturdy passphrase 42"
NEW = "another sturdy passphrase 43"


def _unclaimed(username="legacy_person"):
    """An account as the legacy release left 255 of 256: no usable password."""
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    return user


def _device(user):
    """A signed-in device: its tokens, from a session of its own."""
    return services.tokens_for(user, user_agent="RegretRegret/1.4 (iPhone; iOS 17.2)")


def _refresh(token):
    return APIClient().post("/auth/jwt/refresh/", {"refresh": token}, format="json")


def _works(tokens):
    """(access accepted, refresh accepted): the refresh is spent if it was."""
    access_ok = client_with_token(tokens["access"]).get("/api/checklists/").status_code == 200
    return access_ok, _refresh(tokens["refresh"]).status_code == 200


@pytest.mark.django_db
def test_get_auth_user_is_the_current_account(make_user):
    user = make_user("current_one")
    claimable = _unclaimed()

    body = client_with_token(_device(user)["access"]).get("/auth/user/").json()
    assert body == {
        "id": user.pk,
        "username": "current_one",
        "is_active": True,
        "password_set": True,
        "allow_networking": True,
        "followers_count": 0,
        "following_count": 0,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }
    assert client_with_token(_device(claimable)["access"]).get("/auth/user/").json()["password_set"] is False
    assert_refused(APIClient().get("/auth/user/"), 401)


@pytest.mark.django_db
def test_the_claim_ends_every_other_session_at_once_and_returns_fresh_tokens():
    user = _unclaimed()
    stranger, owner, third = _device(user), _device(user), _device(user)

    response = client_with_token(owner["access"]).post("/auth/password/", {"password": NEW}, format="json")

    assert response.status_code == 200
    fresh = response.json()["tokens"]
    assert _works(stranger) == (False, False)
    assert _works(third) == (False, False)
    assert _works(owner) == (False, False)  # the caller's old tokens too: it holds new ones
    assert _works(fresh) == (True, True)
    assert Session.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.check_password(NEW) and user.tokens_valid_after is not None
    # The stranger can no longer set the password either.
    retry = client_with_token(stranger["access"]).post("/auth/password/", {"password": "x" + NEW}, format="json")
    assert_refused(retry, 401)


@pytest.mark.django_db
def test_a_password_change_ends_the_other_devices_access_and_refresh_tokens_at_once(make_user):
    user = make_user("phone_owner", password=PASSWORD)
    stolen_phone, laptop = _device(user), _device(user)
    assert client_with_token(stolen_phone["access"]).get("/api/checklists/").status_code == 200

    response = client_with_token(laptop["access"]).post(
        "/auth/password/", {"password": NEW, "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    phone_access = client_with_token(stolen_phone["access"]).get("/api/checklists/")
    assert_refused(phone_access, 401)
    assert_refused(_refresh(stolen_phone["refresh"]), 401)
    assert _works(response.json()["tokens"]) == (True, True)
    # A login with the new password right after (same second) is a session like any other.
    login = APIClient().post("/auth/user/", {"username": "phone_owner", "password": NEW}, format="json")
    assert _works(login.json()["tokens"]) == (True, True)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_claims_have_exactly_one_winner():
    for round_ in range(3):
        user = _unclaimed(f"contested_{round_}")
        devices = [_device(user), _device(user)]
        start = barrier(2)
        results = [None, None]

        def claim(i, devices=devices, start=start, results=results):
            client = client_with_token(devices[i]["access"])
            start.wait()
            results[i] = client.post("/auth/password/", {"password": f"{NEW} by {i}"}, format="json")

        assert run_threads(2, claim, barriers=[start]) == []

        statuses = sorted(response.status_code for response in results)
        assert statuses[0] == 200 and statuses[1] in (401, 409), statuses
        winner = 0 if results[0].status_code == 200 else 1
        user.refresh_from_db()
        assert user.check_password(f"{NEW} by {winner}")
        assert _works(results[winner].json()["tokens"]) == (True, True)
        assert _works(devices[1 - winner]) == (False, False)


@pytest.mark.django_db
def test_a_claim_whose_session_ended_after_its_token_was_checked_is_refused():
    # The token was checked when the request was authenticated; its session may end
    # (the owner's logout of it, DELETE /auth/sessions/<id>/) before the claim takes the
    # user's lock. The claim re-checks the session under the lock (services.account_password_set).
    user = _unclaimed()
    stranger = _device(user)
    payload = tokens.decode(stranger["access"], token_type="access")
    services.session_end(user=user, session_id=payload["sid"])

    with pytest.raises(services.Unauthorized) as refused:
        services.account_password_set(user=user, password=NEW, token_payload=payload, new_session=True)

    assert refused.value.code == "session_ended"
    user.refresh_from_db()
    assert not user.has_usable_password()


def _queries_of_an_authenticated_request(monkeypatch, authentication, access):
    # On the view itself: a view class reads DEFAULT_AUTHENTICATION_CLASSES once, when
    # it is defined, so overriding the setting would change nothing.
    from django.utils.module_loading import import_string

    from rr.checklists.api import ChecklistsView

    monkeypatch.setattr(ChecklistsView, "authentication_classes", [import_string(authentication)])
    client = client_with_token(access)
    client.get("/api/checklists/")  # warm: connection set-up
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/checklists/").status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_the_token_checks_add_no_query_to_an_authenticated_request(monkeypatch, make_user):
    from rest_framework_simplejwt.tokens import AccessToken

    user = make_user()
    # Before: simplejwt's own authentication of the previous release, with its own token.
    before = _queries_of_an_authenticated_request(
        monkeypatch, "rest_framework_simplejwt.authentication.JWTAuthentication", str(AccessToken.for_user(user))
    )
    after = _queries_of_an_authenticated_request(
        monkeypatch, "rr.accounts.authentication.SessionJWTAuthentication", _device(user)["access"]
    )
    assert len(after) == len(before) == 2, (before, after)  # the user row, the checklists
    # The session check is folded into the user row's statement, not a round trip of its own.
    assert "rr_session" in after[0] and "rr_user" in after[0], after


def _ends_by_deleting_it(user, victim, keeper):
    sid = tokens.decode(victim["refresh"], token_type="refresh")["sid"]
    assert client_with_token(keeper["access"]).delete(f"/auth/sessions/{sid}/").status_code == 200


def _ends_by_logout_all(user, victim, keeper):
    assert client_with_token(keeper["access"]).post("/auth/logout-all/").status_code == 200


def _ends_by_logout(user, victim, keeper):
    assert APIClient().post("/auth/logout/", {"refresh": victim["refresh"]}, format="json").status_code == 200


def _ends_by_a_password_change(user, victim, keeper):
    body = {"password": NEW, "current_password": PASSWORD}
    assert client_with_token(keeper["access"]).post("/auth/password/", body, format="json").status_code == 200


def _ends_by_a_recovery(user, victim, keeper):
    assert _recover(user.username, _issue_code(user.username)).status_code == 200


def _ends_by_deleting_the_account(user, victim, keeper):
    body = {"password": PASSWORD}
    assert client_with_token(keeper["access"]).delete("/auth/user/", body, format="json").status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize(
    "end",
    [
        _ends_by_deleting_it,
        _ends_by_logout_all,
        _ends_by_logout,
        _ends_by_a_password_change,
        _ends_by_a_recovery,
        _ends_by_deleting_the_account,
    ],
)
def test_an_ended_sessions_access_token_is_401_on_the_very_next_request(plain_static_storage, make_user, end):
    user = make_user(password=PASSWORD)
    victim, keeper = _device(user), _device(user)
    browser = Client()
    signed_in = browser.post("/", {"username": user.username, "password": PASSWORD, "action": "login"})
    assert signed_in.status_code == 302 and browser.get("/settings/").status_code == 200
    stolen = client_with_token(victim["access"])
    assert stolen.get("/auth/sessions/").status_code == 200

    end(user, victim, keeper)

    for response in (
        stolen.get("/auth/sessions/"),
        stolen.get("/auth/user/export/"),
        stolen.patch("/api/network/settings/", {"allow_networking": False}, format="json"),
        stolen.post("/auth/password/", {"password": "x" + NEW}, format="json"),
    ):
        assert_refused(response, 401)
        assert response.json()["code"] == "token_invalid"
    if end not in (_ends_by_deleting_it, _ends_by_logout):  # the others end the browser's session too
        assert browser.get("/settings/")["Location"] == "/login/"
    else:
        assert browser.get("/settings/").status_code == 200


def _statements_at_the_database(access, path="/api/checklists/"):
    """The statements PostgreSQL receives for one authenticated GET (a counting proxy on
    the wire: ORM, raw SQL, connection health checks and transaction control alike)."""
    db = connection.settings_dict
    proxy = StatementCountingProxy(db["HOST"] or "127.0.0.1", db["PORT"] or 5432)
    saved = db["HOST"], db["PORT"], db["OPTIONS"]
    connection.close()
    db["HOST"], db["PORT"], db["OPTIONS"] = "127.0.0.1", proxy.port, {**db["OPTIONS"], "sslmode": "disable"}
    try:
        client = client_with_token(access)
        assert client.get(path).status_code == 200  # warm: the connection's set-up
        proxy.reset()
        assert client.get(path).status_code == 200
        return [text for _, text in proxy.statements]
    finally:
        connection.close()
        db["HOST"], db["PORT"], db["OPTIONS"] = saved
        proxy.close()


@pytest.mark.django_db(transaction=True)
def test_an_authenticated_request_sends_the_database_what_it_did_before_sessions_were_checked():
    # Measured on the wire, so what the ORM's query log does not see counts too. The
    # session check rides in the user row's statement (rr/accounts/selectors.py).
    user = User.objects.create_user("counted", PASSWORD)
    statements = _statements_at_the_database(_device(user)["access"])

    assert len(statements) == 2, statements  # the user row with its session's check, the checklists
    assert "FROM rr_user" in statements[0] and "rr_session" in statements[0]
    assert '"rr_checklist"' in statements[1]


@pytest.mark.django_db
def test_sessions_are_listed_ended_one_by_one_and_all_but_the_current(make_user):
    user = make_user(password=PASSWORD)
    other_user = make_user()
    phone, laptop, tablet = _device(user), _device(user), _device(user)
    theirs = _device(other_user)
    client = client_with_token(laptop["access"])

    listed = client.get("/auth/sessions/", HTTP_USER_AGENT="ignored").json()
    assert len(listed) == 3
    assert [entry["current"] for entry in listed].count(True) == 1
    assert set(listed[0]) == {"id", "created_at", "last_used_at", "client", "current"}
    assert {entry["client"] for entry in listed} == {"RegretRegret/1.4 (iPhone; iOS 17.2)"}
    current_id = next(entry["id"] for entry in listed if entry["current"])
    phone_id = next(entry["id"] for entry in listed if not entry["current"])

    # Nobody can end another account's session.
    their_id = Session.objects.get(user=other_user).pk
    assert_refused(client.delete(f"/auth/sessions/{their_id}/"), 404)
    assert _works(theirs) == (True, True)

    assert client.delete(f"/auth/sessions/{phone_id}/").status_code == 200
    assert len(client.get("/auth/sessions/").json()) == 2
    ended = [s for s in (phone, tablet) if _refresh(s["refresh"]).status_code == 401]
    assert len(ended) == 1  # the phone's; the tablet's refresh rotated its session

    response = client.post("/auth/logout-all/")  # no body: an empty form post
    assert response.status_code == 200 and response.json()["ended"] == 1
    assert [entry["id"] for entry in client.get("/auth/sessions/").json()] == [current_id]
    assert _refresh(laptop["refresh"]).status_code == 200


@pytest.mark.django_db
def test_the_database_holds_no_usable_token(make_user):
    user = make_user()
    device = _device(user)
    stored = " ".join(str(value) for value in Session.objects.values_list().get())
    for text in device.values():
        assert text not in stored
        for part in text.split("."):
            assert part not in stored
    assert "jti" not in stored
    # Nor the refresh token's `jti`, which is all a refresh is checked against: the
    # row keeps a one-way hash of it (rr.accounts.tokens.jti_hash), clear or reversed.
    jti = tokens.decode(device["refresh"], token_type="refresh")["jti"]
    assert jti.lower() not in stored.lower() and jti[::-1].lower() not in stored.lower()
    refreshed = _refresh(device["refresh"]).json()["refresh"]
    stored = " ".join(str(value) for value in Session.objects.values_list().get())
    jti = tokens.decode(refreshed, token_type="refresh")["jti"]
    assert refreshed not in stored and jti.lower() not in stored.lower()


# Recovery --------------------------------------------------------------------------------


def _issue_code(username):
    out, err = io.StringIO(), io.StringIO()
    call_command("account_recovery_code", username, stdout=out, stderr=err)
    return out.getvalue().strip()


def _recover(username, code, password=NEW):
    return APIClient().post("/auth/recover/", {"username": username, "code": code, "password": password}, format="json")


@pytest.mark.django_db
def test_a_recovery_code_sets_the_password_ends_every_session_and_works_once():
    user = _unclaimed("lost_everything")
    strangers = _device(user)
    code = _issue_code("lost_everything")
    assert RecoveryCode.objects.filter(user=user).count() == 1
    assert code not in " ".join(RecoveryCode.objects.values_list("code_hash", flat=True))

    response = _recover("lost_everything", code.lower())  # read out over the phone: case does not matter

    assert response.status_code == 200
    assert response.json()["password_set"] is True
    assert _works(response.json()["tokens"]) == (True, True)
    assert _works(strangers) == (False, False)
    assert_refused(_recover("lost_everything", code, password="yet " + NEW), 401)
    user.refresh_from_db()
    assert user.check_password(NEW)


@pytest.mark.django_db
def test_recovery_codes_expire_are_replaced_and_belong_to_one_account(make_user):
    user, other = _unclaimed("owner_one"), make_user("someone_else")
    first = _issue_code("owner_one")
    second = _issue_code("owner_one")
    assert_refused(_recover("owner_one", first), 401)  # replaced by the second
    assert_refused(_recover("someone_else", second), 401)  # not theirs
    RecoveryCode.objects.filter(user=user).update(expires_at=timezone.now())
    assert_refused(_recover("owner_one", second), 401)
    assert other.check_password(PASSWORD)

    with pytest.raises(Exception, match="No such user"):
        _issue_code("nobody_at_all")


# Guessing limits ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_current_password_guesses_are_limited_and_refused_before_hashing(make_user, throttle_rates, hashes):
    throttle_rates(password_guess="3/hour")
    user = make_user(password=PASSWORD)
    client = client_with_token(_device(user)["access"])
    guesses = [
        client.post("/auth/password/", {"password": NEW, "current_password": f"guess {i}"}, format="json")
        for i in range(3)
    ]
    assert [response.status_code for response in guesses] == [401] * 3
    hashed = len(hashes)

    right = client.post("/auth/password/", {"password": NEW, "current_password": PASSWORD}, format="json")

    assert_refused(right, 429)
    assert len(hashes) == hashed  # refused before any hash
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_password_limit_is_per_username_across_addresses(make_user, throttle_rates):
    throttle_rates(password_guess="2/hour")
    user = make_user(password=PASSWORD)
    access = _device(user)["access"]
    statuses = [
        client_with_token(access)
        .post(
            "/auth/password/",
            {"password": NEW, "current_password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.0.0.{i}",
        )
        .status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]


@pytest.mark.django_db
def test_recovery_guesses_are_limited(throttle_rates):
    throttle_rates(recovery="3/hour")
    _unclaimed("guess_target")
    code = _issue_code("guess_target")
    statuses = [_recover("guess_target", f"WRONG-{i:05d}").status_code for i in range(3)]
    assert statuses == [401] * 3
    assert_refused(_recover("guess_target", code), 429)  # even the right code, once over


@pytest.mark.django_db
def test_admin_login_is_limited_per_address_and_username(plain_static_storage, throttle_rates, hashes):
    throttle_rates(admin_login="5/hour", admin_login_ceiling="6/hour")
    User.objects.create_superuser("root", "root passphrase 42")
    browser = Client()
    for i in range(5):
        page = browser.post("/admin/login/", {"username": "root", "password": f"wrong {i}"})
        assert page.status_code == 200 and "_auth_user_id" not in browser.session
    hashed = len(hashes)

    page = browser.post("/admin/login/?next=/admin/", {"username": "root", "password": "root passphrase 42"})

    assert page.status_code == 200  # the form again, with the refusal
    assert "Too many login attempts" in page.content.decode()
    assert "_auth_user_id" not in browser.session
    assert len(hashes) == hashed
    # Another address that never signed in as root is limited by the username's ceiling.
    other = Client(REMOTE_ADDR="10.9.9.9")
    other.post("/admin/login/", {"username": "root", "password": "wrong again"})
    other.post("/admin/login/", {"username": "root", "password": "root passphrase 42"})
    assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_admin_login_under_the_limit_works(plain_static_storage):
    User.objects.create_superuser("root", "root passphrase 42")
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": "root", "password": "root passphrase 42"})
    assert response.status_code == 302 and "_auth_user_id" in browser.session


@pytest.mark.django_db
def test_api_logins_are_limited_per_username(make_user, throttle_rates, hashes):
    throttle_rates(login_name_ceiling="3/hour")
    make_user("popular", password=PASSWORD)
    for i in range(3):
        response = APIClient(REMOTE_ADDR=f"10.1.0.{i}").post(
            "/auth/user/", {"username": "popular", "password": f"guess {i}"}, format="json"
        )
        assert response.status_code == 401
    hashed = len(hashes)
    response = APIClient().post("/auth/user/", {"username": "popular", "password": PASSWORD}, format="json")
    assert_refused(response, 429)
    assert len(hashes) == hashed


# Sign-up names -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("trailing ", "trailing"),
        ("Bob", "bob"),
        ("Bob", "BOB"),
        ("\uff42\uff4f\uff42\uff12", "bob2"),  # full-width letters (NFKC)
        (" tabbed\t", "TABBED"),
        ("stra\u00dfe", "STRASSE"),  # case folding: ß is ss
    ],
)
def test_a_new_name_equal_to_an_existing_one_once_trimmed_and_folded_is_taken(api, existing, new):
    User.objects.create(username=existing, password="!")
    response = api.post("/auth/user/", {"username": new, "password": PASSWORD}, format="json")
    assert_refused(response, 409)
    assert response.json()["code"] == "username_taken"
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("password", [None, PASSWORD])
def test_an_invalid_name_that_does_not_exist_is_400_with_the_rules(api, password):
    body = {"username": "no such name!"} | ({"password": password} if password else {})
    response = api.post("/auth/user/", body, format="json")
    assert_refused(response, 400)
    assert services.USERNAME_RULES in response.json()["error"]
    assert not User.objects.exists()
