"""The first visit: two paths (Sign up, Log in), the first day's invitation, the way back in."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_sign_up_from_a_blank_browser_to_a_first_ticked_regret(new_context, url, viewport):
    started = time.monotonic()
    page = new_context(viewport=viewport).new_page()
    page.goto(url("/"))
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)  # one form, one button
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "new-password")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # Enter does what the button says: Sign up

    expect(page.get_by_role("heading", name="Your first regret")).to_be_visible()
    expect(page.locator("#index")).to_have_count(0)  # no number before the first regret
    page.get_by_role("button", name="Drink a glass of water", exact=True).click()  # one tap
    box = page.get_by_role("checkbox", name="Drink a glass of water")
    expect(box).to_be_visible()
    glance = page.locator("#glance")
    expect(glance).to_contain_text("0 of 1 done")
    expect(glance).to_contain_text("Not yet")
    expect(page.get_by_role("button", name="Drink a glass of water", exact=True)).to_have_count(
        0
    )  # added, no longer offered
    expect(page.get_by_role("button", name="Walk for 20 minutes", exact=True)).to_be_visible()  # the others still are

    box.check()
    expect(glance).to_contain_text("1 of 1 done")
    expect(glance).to_contain_text("Kept")
    expect(glance).to_contain_text("1-day streak")
    expect(glance).to_contain_text("Everything done: a day without regrets.")
    expect(page.locator("#index")).to_have_text("0.0")
    assert time.monotonic() - started < 60


def test_log_in_is_a_path_of_its_own(page, url, person):
    person("returning")
    page.goto(url("/"))
    page.get_by_role("link", name="Log in").first.click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign up")).to_have_count(0)
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    page.get_by_label("Username").fill("returning")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # Enter logs in, as the button says
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


@pytest.mark.parametrize("path", ["/", "/login/", "/recover/"])
def test_a_failed_submit_moves_the_focus_to_the_error_summary(page, url, path):
    page.goto(url(path))
    page.get_by_role("button", name={"/": "Sign up", "/login/": "Log in", "/recover/": "Recover account"}[path]).click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    # Each error links to its field.
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Username")).to_be_focused()


def test_the_log_in_and_recovery_pages_say_how_to_reach_support(page, url, settings):
    settings.SUPPORT_CONTACT = "help@regret.example"
    for path in ("/login/", "/recover/"):
        page.goto(url(path))
        link = page.get_by_role("link", name="help@regret.example")
        expect(link).to_have_attribute("href", "mailto:help@regret.example")


@pytest.mark.parametrize(("scheme", "background"), [("light", "rgb(244, 246, 248)"), ("dark", "rgb(16, 19, 23)")])
def test_the_colour_scheme_follows_the_system(new_context, url, scheme, background):
    page = new_context(color_scheme=scheme).new_page()
    for path in ("/", "/no-such-page/"):  # the error pages too
        page.goto(url(path))
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background


def test_a_first_days_examples_become_the_routine(signed_in, person):
    from rr.checklists.models import RoutineItem

    person("starter")
    page = signed_in("starter")
    for example in ("Walk for 20 minutes", "Read 10 pages"):
        page.get_by_role("button", name=example, exact=True).click()
        expect(page.get_by_role("checkbox", name=example)).to_be_visible()
    page.get_by_role("button", name="Make them my routine").click()
    expect(page.get_by_text("Today's list is now your routine: every new day starts with it.")).to_be_visible()
    assert list(
        RoutineItem.objects.filter(user__username="starter").order_by("position").values_list("description", flat=True)
    ) == ["Walk for 20 minutes", "Read 10 pages"]
