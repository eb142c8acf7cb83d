"""The web app's server side without a browser: rate limits, error pages, a lost database."""

import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from django.test import Client

from rr.accounts import services as account_services
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist
from tests.hardening.conftest import live_server_factory  # noqa: F401 -- the gunicorn fixture
from tests.observability.urls import SECRET

PASSWORD = "a sturdy passphrase 42"
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


def _sign_in(client, username, action="login", password=PASSWORD):
    """Log in (/login/) or sign up (/), each the one form of its page."""
    path = "/login/" if action == "login" else "/"
    return client.post(path, {"username": username, "password": password}, **HTML)


def test_login_shares_the_apis_rate_limit_per_address(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/minute"},
    }
    account_services.account_create(username="limited", password=PASSWORD)
    api = Client()
    assert api.post("/auth/user/", {"username": "limited", "password": "nope"}, "application/json").status_code == 401
    web = Client()
    assert _sign_in(web, "limited", password="nope").status_code == 401
    assert _sign_in(web, "limited").status_code == 302  # the third attempt of the window
    refused = _sign_in(Client(), "limited")
    assert refused.status_code == 429
    assert "Too many attempts: try again in" in refused.content.decode()
    assert api.post("/auth/user/", {"username": "limited", "password": PASSWORD}, "application/json").status_code == 429


def test_sign_up_counts_against_the_sign_up_limit_too(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signup": "1/hour"},
    }
    assert _sign_in(Client(), "first_one", action="signup").status_code == 302
    refused = _sign_in(Client(), "second_one", action="signup")
    assert refused.status_code == 429
    assert not account_services.User.objects.filter(username="second_one").exists()


def test_pages_need_a_session_and_a_csrf_token(db):
    assert Client().get("/today/", **HTML)["Location"] == "/login/"
    account_services.account_create(username="csrf", password=PASSWORD)
    strict = Client(enforce_csrf_checks=True)
    assert _sign_in(strict, "csrf").status_code == 403


@pytest.mark.parametrize(
    ("path", "title"),
    [("/", "Welcome"), ("/login/", "Log in"), ("/recover/", "Recover account"), ("/today/", "Today")]
    + [("/history/", "History")]
    + [("/friends/", "Friends"), ("/settings/", "Settings")],
)
def test_every_page_has_a_plain_title(db, path, title):
    """The tab and a screen reader's first words: the page's name in plain text, no markup."""
    account_services.account_create(username="titled", password=PASSWORD)
    client = Client()
    if path not in ("/", "/login/", "/recover/"):
        assert _sign_in(client, "titled").status_code == 302
    page = client.get(path, **HTML).content.decode()
    assert re.search(r"<title>(.*?)</title>", page, re.S).group(1) == f"{title} · Regret Regret"


@pytest.mark.parametrize("path", ["/nowhere/", "/today/nope/", "/friends/x/"])
def test_a_browser_gets_a_page_in_words_for_404(db, path):
    response = Client().get(path, **HTML)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_api_paths_and_other_clients_keep_json_errors(db):
    assert Client().get("/api/nope/", **HTML)["Content-Type"] == "application/json"
    assert Client().get("/auth/nope/", **HTML)["Content-Type"] == "application/json"
    assert Client().get("/nowhere/")["Content-Type"] == "application/json"


@pytest.mark.urls("tests.observability.urls")
def test_a_browser_gets_a_page_in_words_for_500_without_the_trace(db):
    response = Client(raise_request_exception=False).get("/boom/", **HTML)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for leak in (SECRET, "hunter2", "Traceback", "RuntimeError"):
        assert leak not in body


def test_a_lost_database_is_a_friendly_503_page(live_server_factory):  # noqa: F811
    # A database that refuses connections (nothing listens on port 1); a browser with a
    # session, whose every page starts by reading it from the database.
    server = live_server_factory(database="postgres://postgres@127.0.0.1:1/gone")
    browser = {"Accept": "text/html", "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}
    for path in ("/", "/today/", "/friends/", "/settings/"):
        response = httpx.get(server.url + path, headers=browser, timeout=30)
        assert response.status_code == 503, response.text[:300]
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Retry-After"]
        assert "Back in a moment" in response.text
        assert "Traceback" not in response.text and "psycopg" not in response.text
    # The API's answers stay JSON, session cookie or not.
    api = httpx.get(server.url + "/api/checklists/", headers={"Cookie": browser["Cookie"]}, timeout=30)
    assert api.status_code == 401 and api.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("offset", ["-780", "900", "abc", "", "99999999999999999999"])
def test_today_survives_any_offset_cookie(db, offset):
    account_services.account_create(username="tz_tamper", password=PASSWORD)
    client = Client()
    assert _sign_in(client, "tz_tamper").status_code == 302
    client.cookies["rr_tz"] = offset
    response = client.get("/today/", **HTML)
    assert response.status_code == 200
    assert "Your first regret" in response.content.decode()


def test_today_opens_at_the_last_offset_when_the_browsers_offset_would_reopen_a_closed_day(db, settings):
    # The browser moved from +14:00 to -12:00 after missing a day: that day closed at +14:00
    # (checklist_for_day refuses it at -12:00), so the page shows the day it is at +14:00.
    settings.DAY_CLOSE_GRACE_HOURS = 0
    user = account_services.account_create(username="tz_west", password=PASSWORD)
    east_now = datetime.now(UTC).astimezone(timezone(timedelta(hours=14)))
    checklist_services.checklist_for_day(user=user, local_datetime=east_now - timedelta(days=3))
    client = Client()
    assert _sign_in(client, "tz_west").status_code == 302
    client.cookies["rr_tz"] = "-720"

    response = client.get("/today/", **HTML)

    assert response.status_code == 200
    assert set(Checklist.objects.filter(user=user).values_list("local_date", flat=True)) == {
        (east_now - timedelta(days=3)).date(),
        east_now.date(),
    }
    # The header names the day of the list shown (at +14:00), not the browser's (-12:00).
    assert f"{east_now:%A} {east_now.day} {east_now:%B}</span></h1>" in response.content.decode()
