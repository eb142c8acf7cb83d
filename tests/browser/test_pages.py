"""Every page: no serious accessibility finding (axe-core), no sideways scroll on a phone,
usable by keyboard alone. `make screenshots` runs the walk with SCREENSHOTS_DIR set."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rr.checklists import services as checklist_services
from rr.network import services as network_services
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, axe_violations, horizontal_overflow
from tests.browser.test_friends import a_day_at_one_third
from tests.browser.test_history import a_day

SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR")


def every_page(page, url):
    """Visit each page in a state that shows its parts; yield (name, page) at each."""
    page.goto(url("/"))
    yield "welcome"
    page.get_by_label("Username").fill("x")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Invalid username").first).to_be_visible()
    yield "welcome-error"
    page.get_by_role("link", name="Log in").first.click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    yield "login"
    page.get_by_role("link", name="recover your account").click()
    expect(page.get_by_role("heading", name="Recover account")).to_be_visible()
    yield "recover"
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    yield "today"
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.get_by_text("Table view").click()
    yield "history"
    page.get_by_role("link", name="365 days").click()
    expect(page.get_by_role("grid", name="Regret index calendar")).to_be_visible()
    yield "history-365"
    page.get_by_role("link", name="Friends").click()
    expect(page.get_by_role("heading", name="Friends")).to_be_visible()
    yield "friends"
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    yield "settings"
    page.goto(url("/no-such-page/"))
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    yield "not-found"


@pytest.fixture
def mira(person):
    mira, noor, omar = person("mira"), person("noor"), person("omar.the-long-named_2026")
    a_day_at_one_third(mira)
    a_day_at_one_third(noor)
    network_services.network_follow(follower=mira, target=noor)
    network_services.network_follow(follower=noor, target=mira)
    network_services.network_follow(follower=omar, target=mira)
    network_services.networking_set(user=omar, allow=False)
    network_services.follow_approval_set(user=mira, on=True)
    network_services.network_follow(follower=person("pia"), target=mira)
    network_services.block_create(user=mira, target=person("quin"))
    for days_ago in range(1, 12, 2):
        a_day(mira, days_ago, done=days_ago % 3)
    checklist, _ = checklist_services.checklist_for_day(user=mira, local_datetime=_now())
    checklist_services.regret_add(
        user=mira, checklist_id=checklist.pk, description="A regret with a long description " * 5
    )
    return mira


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_passes_axe_and_fits_the_screen(new_context, url, mira, viewport, scheme):
    """axe-core (contrast included) in both colour schemes; buttons and links at least 44 px."""
    page = new_context(viewport=viewport, color_scheme=scheme).new_page()
    findings, small = {}, {}
    for name in every_page(page, url):
        if viewport == PHONE:
            assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at 390 px"
        findings[name] = axe_violations(page)
        small[name] = small_targets(page)
        if SCREENSHOTS:
            size = "phone" if viewport == PHONE else "desktop"
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            # caret="initial": hiding the caret is an inline style, which the pages' CSP refuses.
            page.screenshot(path=f"{SCREENSHOTS}/{name}-{size}-{scheme}.png", full_page=True, caret="initial")
    assert findings == {name: [] for name in findings}
    assert small == {name: [] for name in small}


def small_targets(page):
    """Buttons, links outside running text, and form controls smaller than 44 x 44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll("button, a, input, select, summary")].filter(element => {
            const box = element.getBoundingClientRect();
            if (!box.width || !box.height) return false;  // not shown
            if (element.closest(".vh, .skip")) return false;  // visually hidden, or off screen until focused
            if (element.matches("a") && element.closest("p, li, figcaption, dd") && !element.matches(".button")) {
                return false;  // a link inside a sentence: WCAG 2.5.8's inline exception
            }
            if (element.matches("input[type=checkbox], input[type=radio]")) {
                const label = element.labels && element.labels[0];  // the label is part of the target
                const row = (label || element).getBoundingClientRect();
                return Math.max(box.height, row.height) < 44;
            }
            if (element.matches("input[type=hidden]")) return false;
            return box.height < 44 || box.width < 44;
        }).map(element => element.outerHTML.slice(0, 80))"""
    )


def test_keyboard_only_sign_up(page, url):
    page.goto(url("/"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")  # the skip link lands in the content
    focused = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if focused[-1] == "id_username":
            break
    assert focused[-1] == "id_username", focused
    # Focus is visible: an outline is drawn around the focused field.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type("keys")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    # And on through the day: New regret, Add, then the checkbox with Space.
    page.get_by_label("New regret").focus()
    page.keyboard.type("Tidy the desk")
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Tidy the desk")).to_be_visible()
    page.get_by_role("checkbox", name="Tidy the desk").focus()
    page.keyboard.press("Space")
    expect(page.locator("#index")).to_have_text("0.0")
    expect(page.get_by_label("New regret")).to_be_focused()  # focus stays in the day, not lost


def test_errors_are_words_next_to_the_field(page, url, person):
    person("taken")
    page.goto(url("/"))
    page.get_by_label("Username").fill("taken")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Username taken.").first).to_be_visible()
    username = page.get_by_label("Username")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_have_accessible_description("Username taken.")
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("taken")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Password")).to_have_accessible_description("Invalid username or password.")
