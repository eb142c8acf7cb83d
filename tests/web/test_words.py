"""The web app in words, server side: errors for htmx, the goal, devices, support, logs."""

import json
import logging
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from django.test import Client

from rr.accounts import services as account_services
from rr.common.logging import JsonFormatter, TextFormatter
from rr.web import glance
from rr.web.sessions import device_name
from tests.web.test_server import HTML, PASSWORD, _sign_in

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT": "*/*"}


def test_an_htmx_request_gets_a_fragment_for_the_message_area_not_json(db):
    response = Client().get("/nowhere/", **HTMX)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert response["HX-Retarget"] == "#flash"
    assert response["HX-Reswap"] == "innerHTML"
    body = response.content.decode()
    assert "Page not found." in body and "<html" not in body


def test_the_api_keeps_json_even_from_htmx(db):
    for path in ("/api/nope/", "/auth/nope/"):
        response = Client().get(path, **HTMX)
        assert response["Content-Type"] == "application/json"


def test_an_expired_form_is_words_for_a_browser_and_htmx(db):
    account_services.account_create(username="stale", password=PASSWORD)
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/login/", {"username": "stale", "password": PASSWORD}, **HTML)
    assert refused.status_code == 403
    assert "This form has expired" in refused.content.decode()
    fragment = Client(enforce_csrf_checks=True).post("/login/", {"username": "stale"}, **HTMX)
    assert fragment.status_code == 403 and fragment["HX-Retarget"] == "#flash"


@pytest.mark.parametrize("headers", [HTML, HTMX], ids=["page", "htmx"])
def test_a_404_with_debug_on_is_the_apps_page_not_djangos(db, settings, headers):
    """`make run` serves with DEBUG on, where Django would list every URL of the app."""
    settings.DEBUG = True
    account_services.account_create(username="debugger", password=PASSWORD)
    client = Client()
    _sign_in(client, "debugger")
    for path in ("/nowhere/", "/today/nope/"):
        body = client.get(path, **headers).content.decode()
        assert "Page not found" in body
        assert "URLconf" not in body and "settings/delete/" not in body


def test_the_daily_goal_in_words_or_as_a_share_done(db):
    user = account_services.account_create(username="goalie", password=PASSWORD)
    client = Client()
    _sign_in(client, "goalie")
    page = client.get("/settings/", **HTML).content.decode()
    [every_regret] = re.findall(r'<input type="radio" name="goal" value="0"[^>]*>', page)
    assert "checked" in every_regret
    client.post("/settings/networking/", {"allow_networking": "on", "goal": "percent", "goal_percent": "80"}, **HTML)
    user.refresh_from_db()
    assert user.daily_goal == Decimal("0.2")
    assert glance.goal_words(user.daily_goal) == "at least 80% done"
    client.post("/settings/networking/", {"allow_networking": "on", "goal": "0.5"}, **HTML)
    user.refresh_from_db()
    assert user.daily_goal == Decimal("0.5")
    refused = client.post("/settings/networking/", {"goal": "percent", "goal_percent": ""}, **HTML)
    assert refused.status_code == 400
    assert "Say what share of your regrets keeps a day" in refused.content.decode()
    refused = client.post("/settings/networking/", {"goal": "0.0001"}, **HTML)
    assert refused.status_code == 400
    user.refresh_from_db()
    assert user.daily_goal == Decimal("0.5")


class _Regret:
    def __init__(self, success):
        self.success = success


@pytest.mark.parametrize(
    ("done", "total", "goal", "closed", "state", "sentence"),
    [
        (0, 0, "0", False, "empty", "Add the first thing you'd regret not doing today"),
        (3, 4, "0", False, "not-yet", "1 more done and today is kept (every regret done)."),
        (3, 4, "0.25", False, "kept", "Kept: 3 of 4 done meets your goal (at least three quarters done)."),
        (1, 3, "0.3333", False, "not-yet", "1 more done"),  # 2 of 3 leaves 0.3333: kept, by the scoring rule
        (2, 3, "0.3333", False, "kept", "Kept: 2 of 3 done"),
        (4, 4, "0", False, "kept", "Everything done: a day without regrets."),
        (1, 4, "0", True, "missed", "This day closed short of your goal (every regret done)"),
    ],
)
def test_the_index_at_a_glance(done, total, goal, closed, state, sentence):
    regrets = [_Regret(n < done) for n in range(total)]
    score = Decimal(total - done) / total if total else Decimal(1)
    score = score.quantize(Decimal("0.0001"))
    seen = glance.day_glance(regrets=regrets, score=score, goal=Decimal(goal), closed=closed)
    assert seen.state == state
    assert sentence in seen.sentence


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        ("RegretRegretApp", "RegretRegretApp"),
        ("", "Unknown device"),
    ],
)
def test_sessions_are_named_as_people_name_devices(user_agent, name):
    assert device_name(user_agent) == name


def test_the_settings_page_names_the_device(db):
    account_services.account_create(username="devices", password=PASSWORD)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    _sign_in(client, "devices")
    page = client.get("/settings/", **HTML).content.decode()
    assert '<span class="device">Firefox on Linux</span>' in page


@pytest.mark.parametrize(
    ("contact", "shown"),
    [
        ("help@regret.example", '<a href="mailto:help@regret.example">help@regret.example</a>'),
        ("https://regret.example/help", '<a href="https://regret.example/help">https://regret.example/help</a>'),
        ("", "ask the person who runs this Regret Regret server"),
    ],
)
def test_the_support_contact_is_on_the_log_in_and_recovery_pages(db, settings, contact, shown):
    settings.SUPPORT_CONTACT = contact
    for path in ("/login/", "/recover/"):
        assert shown in Client().get(path, **HTML).content.decode()


def test_log_out_says_so(db):
    account_services.account_create(username="bye", password=PASSWORD)
    client = Client()
    _sign_in(client, "bye")
    response = client.post("/logout/", follow=True, **HTML)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "You are logged out." in response.content.decode()


def _record(message, **extra):
    record = logging.LogRecord("rr.request", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_development_logs_are_readable_lines_production_json():
    request = _record("request", method="GET", path="/today/", status=200, duration_ms=12.5, user_id=3)
    line = TextFormatter().format(request)
    assert line.endswith(" INFO GET /today/ 200 12.5 ms user=3")
    other = TextFormatter().format(_record("database unavailable", alias="default"))
    assert other.endswith(" INFO rr.request: database unavailable alias=default")
    assert json.loads(JsonFormatter().format(request))["path"] == "/today/"


@pytest.mark.parametrize(("debug", "formatter"), [("1", "text"), ("", "json")])
def test_the_log_format_follows_debug(debug, formatter):
    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; {code}"],
        env={**_env(), "DEBUG": debug, "RR_ALLOW_INSECURE_KEY": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == formatter


def _env():
    import os

    return {key: value for key, value in os.environ.items() if key not in {"LOG_FORMAT", "DEBUG"}}


def test_the_previous_welcome_forms_action_still_does_what_its_button_said(db):
    """A welcome page loaded before `/login/` existed posts `action=login` to `/`: it logs in."""
    account_services.account_create(username="cached", password=PASSWORD)
    logged_in = Client().post("/", {"username": "cached", "password": PASSWORD, "action": "login"}, **HTML)
    assert logged_in.status_code == 302 and logged_in["Location"] == "/today/"
    taken = Client().post("/", {"username": "cached", "password": PASSWORD}, **HTML)  # Sign up
    assert taken.status_code == 409 and "Username taken." in taken.content.decode()


def test_an_htmx_request_never_gets_an_empty_or_json_error(db):
    account_services.account_create(username="methodical", password=PASSWORD)
    client = Client()
    _sign_in(client, "methodical")
    answer = client.get("/today/tick/", **HTMX)  # POST only: Django's 405 has no body
    assert answer.status_code == 405
    assert answer["HX-Retarget"] == "#flash"
    assert "Not here." in answer.content.decode()


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_htmx_is_configured_without_eval_or_inline_styles(db, path):
    # The Content-Security-Policy has no 'unsafe-eval' and no inline style (config/settings.py):
    # htmx's hx-vars/js: evaluation and its indicator <style> are switched off in its config.
    body = Client().get(path).content.decode()
    content = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body).group(1)
    config = json.loads(content)
    assert config["allowEval"] is False and config["includeIndicatorStyles"] is False
