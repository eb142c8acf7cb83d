"""The browser tests: Playwright drives Debian's Chromium against a live server on PostgreSQL.

One Chromium for the whole run (pytest-playwright's session `browser`), one live server
(pytest-django's, in this process, so the `settings` fixture reaches it); every test gets
fresh browser contexts and an emptied database (transactional_db).
"""

import itertools
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rr.accounts import services as account_services

CHROMIUM = os.environ.get("RR_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PASSWORD = "a sturdy passphrase 42"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

_names = itertools.count(1)
HERE = Path(__file__).parent

# CI's machine is shared (2 cores): wait up to 15 s for what a page shows, not Playwright's 5.
expect.set_options(timeout=15_000)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # The browser tests run last: Playwright's sync API leaves an event loop running in
    # this thread until the session ends, which asyncio.run() elsewhere would trip over.
    # trylast: pytest's own fixture-scope reordering (and pytest-django's) must come first,
    # or they move other tests behind these again.
    items.sort(key=lambda item: item.path.is_relative_to(HERE))
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium` (make test does when it can)."
    if os.environ.get("CI"):
        # In CI a browser test never skips: a missing browser fails every one of them.
        for item in items:
            if item.path.is_relative_to(HERE):
                item.add_marker(pytest.mark.usefixtures("_chromium_required"))
        return
    skip = pytest.mark.skip(reason=message)
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


@pytest.fixture
def _chromium_required():
    pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt-get install -y chromium).")


@pytest.fixture(scope="session", autouse=True)
def _database_calls_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; Django then refuses database
    # calls from it (SynchronousOnlyOperation) although nothing here is async. Only while
    # the browser tests run: subprocesses started by other tests must not inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright's own browser download cannot work here; Debian's Chromium is driven instead.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _web(settings, transactional_db, live_server):
    # No collectstatic in a test run: the plain storage, served by the live server.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every request of the suite comes from 127.0.0.1: the per-address limits would
    # refuse the sign-ups (tests/browser/test_auth.py checks that they apply).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }


# Runs in every page before its own scripts (Playwright's init scripts are not bound by the
# page's Content-Security-Policy) and hands each violation to the test (_csp_violation).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => window._csp_violation({
    directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, sample: event.sample, page: document.location.pathname,
}));
"""


@pytest.fixture
def csp_violations():
    """Every Content-Security-Policy violation and uncaught script error of the test's pages."""
    return []


@pytest.fixture
def new_context(new_context, csp_violations):
    """pytest-playwright's contexts, each reporting CSP violations: a test fails on any."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.expose_binding("_csp_violation", lambda source, report: csp_violations.append(report))
        context.add_init_script(script=_REPORT_VIOLATIONS)
        context.on("console", lambda message: _console(csp_violations, message))
        context.on("weberror", lambda error: csp_violations.append({"uncaught": str(error.error)}))
        return context

    yield make
    assert csp_violations == [], "Content-Security-Policy violations or script errors"


def _console(found, message):
    # Chromium also reports a violation on the console; a blocked eval is reported only there.
    if message.type == "error" and "Content Security Policy" in message.text:
        found.append({"console": message.text, "page": message.page.url if message.page else None})


@pytest.fixture
def url(live_server):
    def to(path="/"):
        return live_server.url + path

    return to


@pytest.fixture
def person(db):
    """A user made through the accounts service, with the test password."""

    def make(username=None, password=PASSWORD):
        return account_services.account_create(username=username or f"person{next(_names)}", password=password)

    return make


def sign_in(page, url, username, password=PASSWORD):
    page.goto(url("/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today").wait_for()


@pytest.fixture
def signed_in(new_context, url):
    """A new browser (its own cookies) signed in as `username`; returns its page."""

    def open_as(username, password=PASSWORD, **context_args):
        page = new_context(**context_args).new_page()
        sign_in(page, url, username, password)
        return page

    return open_as


def axe_violations(page):
    """The serious and critical findings of axe-core (vendored, tests/browser/vendor) on the page."""
    # Evaluated through the DevTools protocol: a <script> tag of axe's code would be inline,
    # which the pages' Content-Security-Policy refuses.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def horizontal_overflow(page):
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
