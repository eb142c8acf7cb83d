"""Living a day in the browser: sign up, add regrets, tick them, watch the index."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from rr.checklists.models import Checklist
from tests.browser.conftest import PASSWORD


def add_regret(page, description):
    page.get_by_label("New regret").fill(description)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("checkbox", name=description)).to_be_visible()


def test_a_tick_straight_after_the_list_is_swapped_in_counts(page, url):
    """htmx wires up a swapped-in list in the same task as the swap (defaultSettleDelay 0):
    a tick in the very next task reaches the server. With htmx's default 20 ms settle delay
    such a tick fell on a form not yet wired and was lost (the index stayed at 1.0)."""
    page.goto(url("/"))
    page.get_by_label("Username").fill("quick")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    page.evaluate(
        """() => document.body.addEventListener("htmx:afterSwap", () => setTimeout(() => {
            document.querySelector("#day input[type=checkbox]").click();
        }, 0), {once: true})"""
    )
    page.get_by_label("New regret").fill("Stretch")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#index")).to_have_text("0.0")
    expect(page.get_by_role("checkbox", name="Stretch")).to_be_disabled()  # resolved on the server


def test_sign_up_add_three_regrets_tick_them_and_watch_the_index(page, url):
    page.goto(url("/"))
    page.get_by_label("Username").fill("walker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    # No regrets yet: no number (the API's 1.0 would read as a failed day), an invitation.
    expect(page.get_by_role("heading", name="Your first regret")).to_be_visible()
    expect(page.locator("#index")).to_have_count(0)
    index = page.locator("#index")

    for description in ("Walk the dog", "Read a chapter", "Call my sister"):
        add_regret(page, description)
    expect(page.get_by_label("New regret")).to_have_value("")  # ready for the next one
    expect(index).to_have_text("1.0")

    page.get_by_role("checkbox", name="Walk the dog").check()
    expect(index).to_have_text("0.67")
    page.get_by_role("checkbox", name="Read a chapter").check()
    expect(index).to_have_text("0.33")
    # A resolved regret stays resolved: its box is ticked and can no longer change.
    expect(page.get_by_role("checkbox", name="Walk the dog")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Walk the dog")).to_be_disabled()

    page.get_by_role("checkbox", name="Call my sister").check()
    expect(index).to_have_text("0.0")

    [checklist] = Checklist.objects.filter(user__username="walker")
    assert checklist.score == Decimal("0")
    assert sorted(checklist.regrets.values_list("description", "success")) == [
        ("Call my sister", True),
        ("Read a chapter", True),
        ("Walk the dog", True),
    ]
    page.reload()  # what the page shows is what was stored
    expect(index).to_have_text("0.0")
    expect(page.get_by_role("checkbox", name="Read a chapter")).to_be_checked()


def test_the_day_works_without_javascript(new_context, url, person):
    person("plain")
    page = new_context(java_script_enabled=False).new_page()
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("plain")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    for description in ("Stretch", "Write"):
        page.get_by_label("New regret").fill(description)
        page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("checkbox", name="Stretch").check()
    page.get_by_role("button", name="Save ticks").click()
    expect(page.locator("#index")).to_have_text("0.5")
    expect(page.get_by_role("checkbox", name="Stretch")).to_be_disabled()


def test_today_is_the_browsers_local_day(signed_in, person):
    """Each page tells the server the browser's UTC offset: Kiritimati (UTC+14) and Pago Pago
    (UTC-11) are 25 hours apart, so their "today" is never the same date."""
    dates = []
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        name = f"traveller_{len(dates)}"
        person(name)
        local_date = datetime.now(ZoneInfo(zone)).date()
        page = signed_in(name, timezone_id=zone)
        expect(page.get_by_role("heading", name="Today")).to_contain_text(f"{local_date:%A} {local_date.day} ")
        dates.append(local_date)
    assert dates[0] != dates[1]
