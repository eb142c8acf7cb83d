"""Admin (and staff web) sign-ins are listed sessions of the account, ended like any other.

See rr/accounts/browser.py: every browser login starts a Session row; /admin/ and the web
app load a browser's user only with its live session.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from rr.accounts import services
from rr.accounts.browser import SID_KEY
from rr.accounts.models import Session, User
from tests.support.clients import client_with_token
from tests.support.responses import assert_refused

pytestmark = pytest.mark.django_db

PASSWORD = "root passphrase 42"
NEW = "another root passphrase 43"
ADMIN_CLIENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 (the admin's)"


@pytest.fixture
def root(plain_static_storage):
    return User.objects.create_superuser("root", PASSWORD)


def _admin_login(path="/admin/login/?next=/admin/"):
    browser = Client(HTTP_USER_AGENT=ADMIN_CLIENT)
    if path.startswith("/admin/"):
        response = browser.post(path, {"username": "root", "password": PASSWORD})
    else:
        response = browser.post(path, {"username": "root", "password": PASSWORD, "action": "login"})
    assert response.status_code == 302, response.content[:300]
    assert browser.get("/admin/").status_code == 200
    return browser


def _signed_out(browser):
    response = browser.get("/admin/")
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("login_at", ["/admin/login/?next=/admin/", "/"])
def test_an_admin_browser_login_is_a_listed_session_with_its_client(root, login_at):
    browser = _admin_login(login_at)
    phone = services.tokens_for(root, user_agent="RegretRegret/1.4 (iPhone)")

    listed = client_with_token(phone["access"]).get("/auth/sessions/").json()

    assert sorted(entry["client"] for entry in listed) == sorted([ADMIN_CLIENT, "RegretRegret/1.4 (iPhone)"])
    assert browser.session[SID_KEY] in [entry["id"] for entry in listed]


def _end_it_alone(root, browser, phone):
    sid = browser.session[SID_KEY]
    assert client_with_token(phone["access"]).delete(f"/auth/sessions/{sid}/").status_code == 200


def _end_by_logout_all(root, browser, phone):
    assert client_with_token(phone["access"]).post("/auth/logout-all/").status_code == 200


def _end_by_a_password_change(root, browser, phone):
    body = {"password": NEW, "current_password": PASSWORD}
    assert client_with_token(phone["access"]).post("/auth/password/", body, format="json").status_code == 200


def _end_by_a_recovery(root, browser, phone):
    out = io.StringIO()
    call_command("account_recovery_code", "root", stdout=out, stderr=io.StringIO())
    body = {"username": "root", "code": out.getvalue().strip(), "password": NEW}
    assert APIClient().post("/auth/recover/", body, format="json").status_code == 200


@pytest.mark.parametrize("end", [_end_it_alone, _end_by_logout_all, _end_by_a_password_change, _end_by_a_recovery])
@pytest.mark.parametrize("login_at", ["/admin/login/?next=/admin/", "/"])
def test_ending_an_admin_browsers_session_signs_it_out_of_the_admin_at_once(root, end, login_at):
    browser = _admin_login(login_at)
    other_admin = _admin_login()
    phone = services.tokens_for(root)

    end(root, browser, phone)

    assert _signed_out(browser)
    assert browser.get("/admin/rr/user/").status_code == 302
    assert browser.get("/settings/")["Location"] == "/login/"  # the web app's pages too
    # Only what was ended: DELETE of one session leaves the other admin browser in.
    assert _signed_out(other_admin) == (end is not _end_it_alone)


def test_an_admin_session_outside_the_session_list_is_refused(root):
    # A browser signed in before sessions were listed (its cookie names no accounts
    # session), or whose row is gone: not admitted.
    browser = _admin_login()
    session = browser.session
    del session[SID_KEY]
    session.save()
    assert _signed_out(browser)

    browser = _admin_login()
    Session.objects.filter(pk=browser.session[SID_KEY]).delete()
    assert _signed_out(browser)


def test_an_admin_logout_ends_its_listed_session(root):
    browser = _admin_login()
    sid = browser.session[SID_KEY]

    assert browser.post("/admin/logout/").status_code == 200

    assert not Session.objects.filter(pk=sid).exists()


def test_signing_in_again_in_the_same_browser_ends_its_previous_session(root):
    browser = _admin_login()
    first = browser.session[SID_KEY]

    response = browser.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 302 and browser.session[SID_KEY] != first
    assert list(Session.objects.filter(user=root).values_list("pk", flat=True)) == [browser.session[SID_KEY]]


# A web page's navigation also shows the Inbox badge (web/base.html, request.inbox in
# rr/web/common.py): one statement of the page's own, the unread nudges and pending follow
# requests counted together (tests/notifications/test_inbox.py pins it to one). The admin has none.
INBOX_BADGE = "rr_follow_request"


@pytest.mark.parametrize(
    ("path", "page_own"),
    [("/admin/", ["django_admin_log"]), ("/history/", ["local_date", INBOX_BADGE])],
)
def test_the_session_check_adds_no_statement_to_a_browsers_page(root, path, page_own):
    # Before browser sessions were checked with the user: the admin index 3 statements,
    # a web page 4 (the web app listed the account's sessions on every page). Now 2 + the
    # page's own each (the History page: its days, then the navigation's Inbox badge).
    browser = _admin_login("/")
    browser.get(path)  # warm
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(path).status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 2 + len(page_own), statements
    # The cookie's session row, then the user with its live accounts session, in one.
    assert "django_session" in statements[0]
    assert '"rr_user"' in statements[1] and '"rr_session"' in statements[1]
    for statement, own in zip(statements[2:], page_own, strict=True):
        assert own in statement, statements
        assert "django_session" not in statement and '"rr_session"' not in statement, statements


def test_a_password_changed_in_the_admin_ends_every_session_of_the_account(root, make_user):
    # One rule for every way a password changes (rr/accounts/models.py, User.save): the
    # admin's own password form and its form for another user's password too.
    browser = _admin_login()
    before = browser.session[SID_KEY]
    phone = services.tokens_for(root)
    other_browser = _admin_login()
    body = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}

    assert browser.post("/admin/password_change/", body).status_code == 302

    assert_refused(client_with_token(phone["access"]).get("/auth/user/"), 401)
    assert_refused(APIClient().post("/auth/jwt/refresh/", {"refresh": phone["refresh"]}, format="json"), 401)
    assert _signed_out(other_browser)
    # The admin's own browser goes on, as a new session (as the web app's does): the only one.
    assert not _signed_out(browser)
    assert browser.session[SID_KEY] != before
    assert list(Session.objects.filter(user=root).values_list("pk", flat=True)) == [browser.session[SID_KEY]]

    member = make_user("member")
    theirs = services.tokens_for(member)
    admin = _admin_login_with(NEW)
    form = {"password1": "a member passphrase 44", "password2": "a member passphrase 44", "usable_password": "true"}
    assert admin.post(f"/admin/rr/user/{member.pk}/password/", form).status_code == 302
    assert_refused(client_with_token(theirs["access"]).get("/auth/user/"), 401)
    assert not Session.objects.filter(user=member).exists()

    # "Password-based authentication: disabled" (set_unusable_password) ends them too: a
    # token kept alive would otherwise claim the account (POST /auth/password/ without
    # current_password).
    member.refresh_from_db()  # the cut-off the first change set: the new token is issued after it
    thief = services.tokens_for(member)
    assert client_with_token(thief["access"]).get("/auth/user/").status_code == 200
    form = {"usable_password": "false", "unset-password": "1"}
    assert admin.post(f"/admin/rr/user/{member.pk}/password/", form).status_code == 302
    member.refresh_from_db()
    assert not member.has_usable_password()
    assert_refused(client_with_token(thief["access"]).get("/auth/user/"), 401)
    claim = {"password": "the thief's passphrase 45"}
    assert_refused(client_with_token(thief["access"]).post("/auth/password/", claim, format="json"), 401)
    assert_refused(APIClient().post("/auth/jwt/refresh/", {"refresh": thief["refresh"]}, format="json"), 401)
    assert not Session.objects.filter(user=member).exists()


def _admin_login_with(password):
    browser = Client(HTTP_USER_AGENT=ADMIN_CLIENT)
    assert browser.post("/admin/login/?next=/admin/", {"username": "root", "password": password}).status_code == 302
    return browser
