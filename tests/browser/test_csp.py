"""The Content-Security-Policy (config/settings.py) with the web app, the admin and /docs/ under it.

Every browser test reports violations (tests/browser/conftest.py, `new_context`); this one
walks every page, the htmx actions, the admin's pages of every model and the API docs,
and fails on any console error at all, not only on violations.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from rr.accounts.models import User
from tests.browser.conftest import PASSWORD
from tests.browser.test_pages import every_page, mira  # noqa: F401 -- the walk's fixture


@pytest.fixture
def console_errors(new_context):
    """A page whose console errors (and failed requests' statuses) are collected."""
    context = new_context()
    page = context.new_page()
    errors = []
    page.on(
        "console", lambda message: errors.append(f"{page.url}: {message.text}") if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def test_the_policy_is_on_every_answer(console_errors, url):
    page, _ = console_errors
    for path in ("/", "/no-such-page/", "/docs/", "/admin/login/", "/health/"):
        policy = page.request.get(url(path)).headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'", path
        assert directives["object-src"] == "'none'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path


def test_every_page_and_its_htmx_actions_run_under_the_policy(console_errors, url, mira, csp_violations):  # noqa: F811
    page, errors = console_errors
    seen = list(every_page(page, url))
    page.goto(url("/today/"))
    page.get_by_label("New regret").fill("Under the policy")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("checkbox", name="Under the policy")).to_be_visible()
    expect(page.get_by_label("New regret")).to_have_value("")  # app.js's reset, not an inline handler
    page.get_by_role("checkbox", name="Under the policy").check()
    expect(page.get_by_role("checkbox", name="Under the policy")).to_be_disabled()
    page.goto(url("/history/?days=365"))
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.goto(url("/friends/"))
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(url("/recover/"))
    expect(page.get_by_label("Recovery code")).to_be_visible()
    # The expected errors: the walk's 404 page ("not-found") and its refused sign-up (400).
    errors = [error for error in errors if "status of 404" not in error and "status of 400" not in error]
    assert "not-found" in seen and errors == [] and csp_violations == [], errors


def test_the_admin_and_the_api_docs_run_under_the_policy(console_errors, url, person, csp_violations):
    page, errors = console_errors
    root = User.objects.create_superuser("root", PASSWORD)
    as_root = RequestFactory().get("/admin/")
    as_root.user = root
    person("alice")
    page.goto(url("/admin/login/"))
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        page.goto(url(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")))
        expect(page.locator("#changelist")).to_be_visible()
        if model_admin.has_add_permission(as_root):
            page.goto(url(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")))
            expect(page.locator("#content")).to_be_visible()
    alice = User.objects.get(username="alice")
    page.goto(url(reverse("admin:rr_user_change", args=[alice.pk])))
    expect(page.get_by_label("Username")).to_have_value("alice")
    page.goto(url(reverse("admin:rr_user_change", args=[alice.pk]) + "password/"))
    page.goto(url("/admin/password_change/"))
    expect(page.get_by_label("Old password")).to_be_visible()
    page.goto(url("/docs/"))
    expect(page.get_by_text("Regret Regret API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()  # the schema loaded and rendered
    assert errors == [] and csp_violations == []
