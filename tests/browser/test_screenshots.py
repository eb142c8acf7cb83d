"""The README's pictures: Welcome, Today (a first day and a kept day), History (30 and 365
days), at phone size in both colour schemes. `make screenshots` runs this with
SHOWCASE_DIR=docs/screenshots to regenerate the committed PNGs; in a test run it checks
that each view shows what the picture is meant to show."""

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rr.checklists import services as checklist_services
from tests.browser.conftest import PHONE

SHOWCASE = os.environ.get("SHOWCASE_DIR")
ROUTINE = ("Walk for 20 minutes", "Read 10 pages", "Call mum", "No phone after 10 pm")


def _day(user, days_ago, done):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    checklist, _ = checklist_services.checklist_for_day(user=user, local_datetime=when)
    for n, description in enumerate(ROUTINE):
        regret, _ = checklist_services.regret_add(user=user, checklist_id=checklist.pk, description=description)
        if n < done:
            checklist_services.regret_resolve(user=user, checklist_id=checklist.pk, regret_id=regret.pk, success=True)


@pytest.fixture
def regular(person):
    """Eight months of use: mostly kept days (goal: at least three quarters done), a few
    missed, some skipped, and a run of kept days up to yesterday; today 3 of 4 done."""
    user = person("sam")
    user.date_joined = datetime.now(UTC) - timedelta(days=240)
    user.save(update_fields=["date_joined"])
    checklist_services.daily_goal_set(user=user, goal="0.25")
    chance = random.Random(2026)
    for days_ago in range(240, 0, -1):
        if days_ago == 10 or (days_ago > 10 and chance.random() < 0.18):
            continue  # a day without a checklist (ten days ago: the streak starts after it)
        done = 4 if days_ago <= 9 else chance.choice((4, 4, 4, 3, 3, 2, 1))
        _day(user, days_ago, done)
    _day(user, 0, 3)
    return user


def _shoot(page, name, scheme):
    if SHOWCASE:
        Path(SHOWCASE).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret is an inline style, which the pages' CSP refuses.
        page.screenshot(path=f"{SHOWCASE}/{name}-{scheme}.png", full_page=True, caret="initial")


def test_the_showcase(new_context, url, regular, signed_in):
    for scheme in ("light", "dark"):  # one user's eight months, built once
        _showcase(new_context, url, signed_in, scheme)


def _showcase(new_context, url, signed_in, scheme):
    page = new_context(viewport=PHONE, color_scheme=scheme, device_scale_factor=1).new_page()
    page.goto(url("/"))
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    _shoot(page, "welcome", scheme)

    page.get_by_label("Username").fill(f"newcomer_{scheme}")
    page.get_by_label("Password").fill("a sturdy passphrase 42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Your first regret")).to_be_visible()
    _shoot(page, "today-first-day", scheme)

    page = signed_in("sam", viewport=PHONE, color_scheme=scheme, device_scale_factor=1)
    glance = page.locator("#glance")
    expect(glance).to_contain_text("3 of 4 done")
    expect(glance).to_contain_text("Kept")
    expect(glance).to_contain_text("10-day streak")
    _shoot(page, "today-kept", scheme)

    page.get_by_role("link", name="History").click()
    calendar = page.get_by_role("grid", name="Regret index calendar")
    expect(calendar.locator("td.kept")).not_to_have_count(0)
    _shoot(page, "history-30", scheme)

    page.get_by_role("link", name="365 days").click()
    calendar = page.get_by_role("grid", name="Regret index calendar")
    expect(calendar.locator("td[data-date]")).to_have_count(365)
    # The latest week is in view on a phone: today's cell inside the screen's width.
    box = calendar.locator("td.today").bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box
    _shoot(page, "history-365", scheme)
