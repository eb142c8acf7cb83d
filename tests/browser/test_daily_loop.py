"""The daily loop in the browser: fix a mistake (edit, delete, undo), the routine editor, the
streak on Today, the inbox badge and list, the Nudge button; at phone and desktop size, axe clean."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret, RoutineItem
from rr.network import services as network_services
from rr.notifications import services as notification_services
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, horizontal_overflow

SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def _clean(page):
    assert axe_violations(page) == []
    if page.viewport_size == PHONE:
        assert horizontal_overflow(page) <= 0


def _add(page, description):
    page.get_by_label("New regret").fill(description)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("checkbox", name=description)).to_be_visible()


@SIZES
def test_fix_a_mistake_edit_delete_undo_with_the_index_in_place(signed_in, person, viewport):
    person("fixer")
    page = signed_in("fixer", viewport=viewport)
    index = page.locator("#index")
    for description in ("Wlak the dog", "Read", "Swim"):
        _add(page, description)

    page.get_by_role("button", name="Edit Wlak the dog").click()
    edit = page.get_by_role("textbox", name="Regret", exact=True)
    expect(edit).to_have_value("Wlak the dog")
    _clean(page)
    edit.fill("Walk the dog")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("checkbox", name="Walk the dog")).to_be_visible()

    page.get_by_role("checkbox", name="Walk the dog").check()
    expect(index).to_have_text("0.67")
    page.get_by_role("button", name="Undo Walk the dog").click()
    expect(index).to_have_text("1.0")
    expect(page.get_by_role("checkbox", name="Walk the dog")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Walk the dog")).to_be_enabled()

    page.get_by_role("checkbox", name="Read").check()
    expect(index).to_have_text("0.67")
    page.get_by_role("button", name="Delete Swim").click()
    expect(page.get_by_text("Delete “Swim”?")).to_be_visible()  # asks first: nothing deleted yet
    _clean(page)
    assert Regret.objects.filter(description="Swim").exists()
    page.get_by_role("button", name="Delete Swim").click()
    expect(page.get_by_role("checkbox", name="Swim")).to_have_count(0)
    expect(index).to_have_text("0.5")
    [checklist] = Checklist.objects.filter(user__username="fixer")
    assert sorted(checklist.regrets.values_list("description", "success")) == [
        ("Read", True),
        ("Walk the dog", False),
    ]
    assert str(checklist.score) == "0.5000"


def test_fixing_mistakes_works_without_javascript(new_context, url, person):
    fixer = person("plainfixer")
    checklist, _ = checklist_services.checklist_for_day(user=fixer, local_datetime=datetime.now(UTC))
    for description in ("Typo", "Done"):
        checklist_services.regret_add(user=fixer, checklist_id=checklist.pk, description=description)
    page = new_context(java_script_enabled=False).new_page()
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("plainfixer")
    page.get_by_label("Password").fill("a sturdy passphrase 42")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("button", name="Edit Typo").click()
    page.get_by_role("textbox", name="Regret", exact=True).fill("Fixed")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("checkbox", name="Done").check()
    page.get_by_role("button", name="Save ticks").click()
    expect(page.locator("#index")).to_have_text("0.5")
    page.get_by_role("button", name="Undo Done").click()
    expect(page.locator("#index")).to_have_text("1.0")
    page.get_by_role("button", name="Delete Fixed").click()
    page.get_by_role("button", name="Delete Fixed").click()
    expect(page.get_by_role("checkbox", name="Fixed")).to_have_count(0)
    assert list(Regret.objects.filter(checklist=checklist).values_list("description", "success")) == [("Done", False)]


@SIZES
def test_the_routine_editor_and_add_to_routine(signed_in, person, viewport):
    keeper = person("keeper")
    page = signed_in("keeper", viewport=viewport)
    routine = page.get_by_role("region", name="Routine")
    _add(page, "Call grandma")
    page.get_by_role("button", name="Add to routine Call grandma").click()
    expect(page.get_by_text("Added to your routine")).to_be_visible()

    expect(routine.get_by_role("textbox", name="Routine regret 1")).to_have_value("Call grandma")
    for position, description in ((2, "Stretch"), (3, "Read")):
        routine.get_by_label("New routine regret").fill(description)
        routine.get_by_role("button", name="Add to routine", exact=True).click()
        expect(routine.get_by_role("textbox", name=f"Routine regret {position}")).to_have_value(description)
    _clean(page)

    routine.get_by_role("button", name="Move up Read").click()
    expect(routine.get_by_role("textbox", name="Routine regret 2")).to_have_value("Read")
    routine.get_by_role("textbox", name="Routine regret 1").fill("Call grandma at six")
    routine.get_by_role("button", name="Save routine regret 1").click()
    expect(routine.get_by_role("textbox", name="Routine regret 1")).to_have_value("Call grandma at six")
    routine.get_by_role("button", name="Remove Stretch").click()
    expect(routine.get_by_role("textbox", name=re.compile("Routine regret"))).to_have_count(2)
    assert list(RoutineItem.objects.filter(user=keeper).order_by("position").values_list("description")) == [
        ("Call grandma at six",),
        ("Read",),
    ]
    # Today's list is not changed by the routine (a new day's starts with it: tests/checklists/test_routine.py).
    expect(page.get_by_role("checkbox", name="Read")).to_have_count(0)


def test_use_yesterdays_list_as_my_routine(signed_in, person):
    walker = person("walker")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    checklist, _ = checklist_services.checklist_for_day(user=walker, local_datetime=yesterday)
    for description in ("Run", "Read"):
        checklist_services.regret_add(user=walker, checklist_id=checklist.pk, description=description, at=yesterday)
    page = signed_in("walker", timezone_id="UTC")

    page.get_by_role("button", name="Use yesterday's list as my routine").click()

    routine = page.get_by_role("region", name="Routine")
    expect(routine.get_by_role("textbox", name="Routine regret 1")).to_have_value("Run")
    expect(routine.get_by_role("textbox", name="Routine regret 2")).to_have_value("Read")


def test_the_streak_is_on_today_and_follows_the_ticks(signed_in, person):
    runner = person("runner")
    for back in (2, 1):
        at = datetime.now(UTC) - timedelta(days=back)
        checklist, _ = checklist_services.checklist_for_day(user=runner, local_datetime=at)
        regret, _ = checklist_services.regret_add(user=runner, checklist_id=checklist.pk, description="x", at=at)
        checklist_services.regret_resolve(
            user=runner, checklist_id=checklist.pk, regret_id=regret.pk, success=True, at=at
        )
    page = signed_in("runner", timezone_id="UTC")
    _add(page, "Stretch")
    streak = page.locator("#streak")  # in the glance above the list (web/_glance.html)
    expect(streak).to_have_text("2-day streak, today not kept yet")

    page.get_by_role("checkbox", name="Stretch").check()

    expect(streak).to_have_text("3-day streak, today keeps it")


@SIZES
def test_the_inbox_badge_and_list(signed_in, person, viewport):
    me, nudger, asker = person("inboxer"), person("nudger"), person("asker")
    network_services.network_follow(follower=nudger, target=me)
    notification_services.nudge_send(sender=nudger, recipient=me)
    network_services.follow_approval_set(user=me, on=True)
    network_services.network_follow(follower=asker, target=me)
    page = signed_in("inboxer", viewport=viewport)

    badge = page.get_by_role("link", name=re.compile(r"^Inbox"))
    expect(badge).to_have_accessible_name(re.compile(r"^Inbox 2\b"))
    badge.click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.get_by_role("region", name="Nudges")).to_contain_text("nudger")
    _clean(page)
    # Opening it marked the nudge read: the request is what still waits.
    expect(page.get_by_role("link", name=re.compile(r"^Inbox"))).to_have_accessible_name(re.compile(r"^Inbox 1\b"))

    page.get_by_role("button", name="Accept asker").click()
    expect(page.get_by_text("asker now follows you.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Inbox"))).to_have_accessible_name(re.compile(r"^Inbox 0\b"))


def test_no_nudge_button_for_a_friend_who_kept_today(signed_in, person):
    me, kept, idle = person("nudgy"), person("kept"), person("idle")
    for friend in (kept, idle):
        network_services.network_follow(follower=me, target=friend)
    checklist, _ = checklist_services.checklist_for_day(user=kept, local_datetime=datetime.now(UTC))
    regret, _ = checklist_services.regret_add(user=kept, checklist_id=checklist.pk, description="x")
    checklist_services.regret_resolve(user=kept, checklist_id=checklist.pk, regret_id=regret.pk, success=True)
    page = signed_in("nudgy")

    page.get_by_role("link", name="Friends").click()

    expect(page.get_by_role("button", name="Nudge idle")).to_be_visible()
    expect(page.get_by_role("button", name="Nudge kept")).to_have_count(0)
